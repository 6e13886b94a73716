/**
 * The statements of the `.sock` language, declared once: each verb's name, its syntax as the
 * spec writes it (docs/sock-language.md), where it may stand, its documentation, the Python
 * `socket` call it mirrors and the keywords completion offers after it. The parser takes its
 * verbs and their classes from here, hover its text, completion its words; a unit test holds
 * the TextMate grammar and the spec's verb table (§8) to it. Pure: no `vscode`, no `node:*`.
 */
import { CHECKSUM_TYPES } from '../../net/checksums';
import { INT_TYPES } from '../../net/fields';

/** A block's header verb. */
export type HeaderVerb = 'connect' | 'listen' | 'use';

/** A block's transport, as its header names it. */
export type VerbTransport = 'tcp' | 'udp' | 'unix' | 'tls';

/**
 * What kind of line a verb starts, which decides how the parser treats it:
 * - `header`: `connect`, `listen` or `use`, the first statement of a block;
 * - `step`: a step that runs in order (a lookup is a step too, of kind `lookup`);
 * - `repeat` / `end`: open and close a repeated run of steps;
 * - `setting`: a line that configures its block, wherever it stands (§2.2); see {@link VerbSpec.settingOf}.
 */
export type VerbKind = 'header' | 'step' | 'lookup' | 'repeat' | 'if' | 'on' | 'else' | 'end' | 'setting';

/**
 * Where a statement may stand.
 * `headers`: the blocks it is allowed in, by their header (`none`: a block without one, such as a
 * block of lookups); for a header verb, `['none']`: it opens a block that has none yet.
 * `transports`: the transports it allows; every one when absent.
 */
export interface Placement {
  readonly headers: readonly (HeaderVerb | 'none')[];
  readonly transports?: readonly VerbTransport[];
  /** The same in words, as the spec's "Where" column says it. */
  readonly where: string;
}

/** One syntax line of a verb, and the transports that form is limited to (every one when absent). */
export interface VerbForm {
  readonly syntax: string;
  readonly transports?: readonly VerbTransport[];
}

/**
 * Words completion offers on a statement's line. A slot applies at word `at` after the verb
 * (1-based), or to the word after the word `after`; a slot with neither applies to any later
 * word that no other slot claims. `role` says what the words are (for the completion's icon).
 */
export interface KeywordSlot {
  readonly at?: number;
  readonly after?: string;
  readonly words: readonly string[];
  readonly role: 'keyword' | 'transport' | 'payload' | 'record-type' | 'service';
}

/** One statement of the language. */
export interface VerbSpec {
  readonly name: string;
  readonly kind: VerbKind;
  /** For a setting: the block it configures (`block`: any, `listener`: a listener's policy, `tls`, `udp`). */
  readonly settingOf?: 'block' | 'listener' | 'tls' | 'udp' | 'load';
  /** Its syntax lines, as the spec writes them. */
  readonly forms: readonly VerbForm[];
  readonly placement: Placement;
  /** What it does, for hover and completion: one or two sentences. */
  readonly doc: string;
  /** The Python call it mirrors (the `socket` module where there is one). */
  readonly python?: string;
  /** True when its step leaves a value for `expect` to check (a receive or a lookup). */
  readonly produces: boolean;
  /** A valid statement (two lines for `repeat` and `end`), for the tests and the docs. */
  readonly example: string;
  readonly keywords: readonly KeywordSlot[];
}

const STREAMS: readonly VerbTransport[] = ['tcp', 'tls', 'unix'];
/** What a load times, and its statistics, as `expect` names them (§8.15). */
export const LOAD_METRICS = ['connect', 'tls', 'first-byte', 'round-trip', 'session'] as const;
export const LOAD_STATS = ['min', 'median', 'p90', 'p99', 'max', 'mean'] as const;
const TRANSPORTS: readonly VerbTransport[] = ['tcp', 'udp', 'unix', 'tls'];
const CONNECTED: Placement['headers'] = ['connect', 'listen', 'use'];
const ANYWHERE: Placement['headers'] = ['none', 'connect', 'listen', 'use'];
const PAYLOAD_WORDS = ['hex', 'base64', 'file'];
/** The types a frame's length may have: every integer type but `dec`. */
const FRAME_TYPES = INT_TYPES.filter((t) => t !== 'dec');
/** The DNS record types of `resolve`, as `RECORD_TYPES` of net/dnsQuery lists them (a test checks it): written out so hover does not load the resolver. */
const RECORD_TYPE_WORDS = ['A', 'AAAA', 'MX', 'TXT', 'SRV', 'NS', 'CNAME', 'PTR'];
/** The services completion offers after `service`: the ones a socket tutorial meets. */
const COMMON_SERVICES = ['http', 'https', 'ftp', 'ssh', 'telnet', 'smtp', 'domain', 'pop3', 'imap', 'nntp', 'gopher', 'ntp', 'snmp'];

function setting(name: string, settingOf: 'block' | 'listener' | 'tls' | 'udp' | 'load', forms: string, placement: Placement, doc: string, example: string, extra: { python?: string; keywords?: readonly KeywordSlot[] } = {}): VerbSpec {
  return { name, kind: 'setting', settingOf, forms: [{ syntax: forms }], placement, doc, ...(extra.python ? { python: extra.python } : {}), produces: false, example, keywords: extra.keywords ?? [] };
}

function lookup(name: string, forms: readonly string[], doc: string, python: string | undefined, example: string, keywords: readonly KeywordSlot[] = []): VerbSpec {
  return { name, kind: 'lookup', forms: forms.map((syntax) => ({ syntax })), placement: { headers: ANYWHERE, where: 'any' }, doc, ...(python ? { python } : {}), produces: true, example, keywords };
}

const TLS_CLIENT: Placement = { headers: ['connect'], transports: ['tls'], where: '`connect tls` blocks only' };
const TLS_LISTENER: Placement = { headers: ['listen'], transports: ['tls'], where: '`listen tls` blocks only' };
const TLS_ANY: Placement = { headers: ['connect', 'listen'], transports: ['tls'], where: '`connect tls` and `listen tls` blocks' };

/**
 * Every statement, in the order "did you mean" tries them: headers, steps, block structure,
 * settings, lookups.
 */
export const VERBS: readonly VerbSpec[] = [
  {
    name: 'connect',
    kind: 'header',
    forms: [
      { syntax: 'connect tcp HOST:PORT [timeout DURATION] [as NAME [keep]]' },
      { syntax: 'connect udp HOST:PORT [as NAME [keep]]' },
      { syntax: 'connect unix PATH [timeout DURATION] [as NAME [keep]]' },
      { syntax: 'connect tls HOST:PORT [timeout DURATION] [as NAME [keep]]' },
    ],
    placement: { headers: ['none'], where: 'header' },
    doc: 'Opens a client connection (TCP, UDP, Unix or TLS); the steps below use it; it closes at the end of the block unless kept.',
    python: 's = socket.socket(); s.connect((host, port))',
    produces: false,
    example: 'connect tcp 127.0.0.1:8080',
    keywords: [
      { at: 1, words: TRANSPORTS, role: 'transport' },
      { after: 'as', words: [], role: 'keyword' },
      { after: 'timeout', words: [], role: 'keyword' },
      { words: ['timeout', 'as', 'keep'], role: 'keyword' },
    ],
  },
  {
    name: 'listen',
    kind: 'header',
    forms: [
      { syntax: 'listen tcp HOST:PORT | PORT | :PORT [as NAME]' },
      { syntax: 'listen udp HOST:PORT | PORT | :PORT [as NAME]' },
      { syntax: 'listen unix PATH [as NAME]' },
      { syntax: 'listen tls HOST:PORT | PORT | :PORT [as NAME]' },
    ],
    placement: { headers: ['none'], where: 'header' },
    doc: 'Starts a listener (bind + listen); its steps run for each accepted connection or datagram; it keeps running after the block.',
    python: 's.bind((host, port)); s.listen(); conn, addr = s.accept()',
    produces: false,
    example: 'listen tcp 0',
    keywords: [
      { at: 1, words: TRANSPORTS, role: 'transport' },
      { after: 'as', words: [], role: 'keyword' },
      { words: ['as'], role: 'keyword' },
    ],
  },
  {
    name: 'use',
    kind: 'header',
    forms: [{ syntax: 'use NAME' }],
    placement: { headers: ['none'], where: 'header' },
    doc: 'Continues on a connection kept open by an earlier block (`connect … as NAME keep`).',
    produces: false,
    example: 'use kept',
    keywords: [],
  },
  {
    name: 'send',
    kind: 'step',
    forms: [{ syntax: 'send PAYLOAD' }, { syntax: 'send PART PART…' }],
    placement: { headers: CONNECTED, where: 'client, listener' },
    doc: 'Sends a payload, waiting while the peer is not reading (backpressure). Several parts make one payload: text, hex, base64, file, integer fields as struct.pack writes them (u8 … u64, i8 … i64, u16le …, varint, dec) and ( … ) groups, with TYPE len for the byte length of the group after it and a checksum (crc16-modbus, crc32, crc32le, inet16) of the group before it.',
    python: 's.sendall(data)',
    produces: false,
    example: 'send u8 0x10 varint len ( u16 len ( "MQTT" ) u8 4 )',
    keywords: [
      { at: 1, words: [...PAYLOAD_WORDS, ...INT_TYPES], role: 'payload' },
      { words: [...PAYLOAD_WORDS, ...INT_TYPES, 'len', ...CHECKSUM_TYPES], role: 'payload' },
    ],
  },
  {
    name: 'recv',
    kind: 'step',
    forms: [
      { syntax: 'recv [timeout D]' },
      { syntax: 'recv N [timeout D]' },
      { syntax: 'recv until PAYLOAD [timeout D]', transports: STREAMS },
      { syntax: 'recv all [timeout D]', transports: STREAMS },
      { syntax: 'recv line [timeout D]', transports: STREAMS },
      { syntax: 'recv exactly N [timeout D]', transports: STREAMS },
      { syntax: 'recv frame TYPE [after N] [inclusive] [timeout D]', transports: STREAMS },
      { syntax: 'recv frame from START to END [timeout D]', transports: STREAMS },
    ],
    placement: { headers: CONNECTED, where: 'client, listener' },
    doc: 'Receives: the next chunk or datagram, up to N bytes, exactly N, a line, until a delimiter, all until the peer closes, a length-prefixed frame (recv frame u16; after N header bytes; inclusive when the length counts itself), or a delimited one (recv frame from hex 02 to hex 03).',
    python: 's.recv(1024)',
    produces: true,
    example: 'recv timeout 2s',
    keywords: [
      { at: 1, words: ['until', 'all', 'line', 'exactly', 'frame', 'timeout'], role: 'keyword' },
      { after: 'until', words: PAYLOAD_WORDS, role: 'payload' },
      { after: 'frame', words: [...FRAME_TYPES, 'from'], role: 'keyword' },
      { after: 'from', words: PAYLOAD_WORDS, role: 'payload' },
      { after: 'to', words: PAYLOAD_WORDS, role: 'payload' },
      ...FRAME_TYPES.map((type): KeywordSlot => ({ after: type, words: ['after', 'inclusive', 'timeout'], role: 'keyword' })),
      { after: 'after', words: [], role: 'keyword' },
      { after: 'exactly', words: [], role: 'keyword' },
      { after: 'timeout', words: [], role: 'keyword' },
      { words: ['timeout'], role: 'keyword' },
    ],
  },
  {
    name: 'expect',
    kind: 'step',
    forms: [
      { syntax: 'expect PAYLOAD' },
      { syntax: 'expect PAYLOAD at OFFSET' },
      { syntax: 'expect exactly PAYLOAD' },
      { syntax: 'expect /REGEX/FLAGS' },
      { syntax: 'expect error [CODE] [PATTERN]' },
      { syntax: 'expect time OP DURATION' },
      { syntax: 'expect bytes [OP] N' },
      { syntax: 'expect closed', transports: STREAMS },
      { syntax: 'expect tls verified', transports: ['tls'] },
      { syntax: 'expect tls protocol|cipher|alpn|fingerprint VALUE', transports: ['tls'] },
      { syntax: 'expect tls subject /REGEX/FLAGS', transports: ['tls'] },
      { syntax: 'expect [connect|tls|first-byte|round-trip|session] min|median|p90|p99|max|mean OP DURATION' },
      { syntax: 'expect errors [OP] N' },
    ],
    placement: { headers: ANYWHERE, where: 'any' },
    doc: 'Checks the last thing received or looked up: contains a payload (at OFFSET: at that byte; exactly: nothing else; ?? in hex matches any byte; a failed byte check shows both sides in hex and the first difference), matches a /regex/, or (expect error) the step before failed. Checks facts too: the last step\'s time (expect time < 20ms), the last value\'s byte count (expect bytes >= 5), that the peer closed (expect closed), and the TLS session (expect tls verified, expect tls protocol TLSv1.3 …). In a load block, expect p99 < 20ms (round trips unless connect, tls, first-byte or session is named) and expect errors 0 check the load as a whole when it ends.',
    python: 'assert expected in data',
    produces: false,
    example: 'expect error',
    keywords: [
      { at: 1, words: ['error', 'time', 'bytes', 'closed', 'tls', 'exactly', ...PAYLOAD_WORDS, 'errors', ...LOAD_STATS, ...LOAD_METRICS.filter((m) => m !== 'tls')], role: 'keyword' },
      { after: 'tls', words: ['verified', 'protocol', 'cipher', 'alpn', 'fingerprint', 'subject'], role: 'keyword' },
      { words: ['at', ...INT_TYPES], role: 'keyword' },
    ],
  },
  {
    name: 'capture',
    kind: 'step',
    forms: [
      { syntax: 'capture NAME' },
      { syntax: 'capture NAME /REGEX/FLAGS' },
      { syntax: 'capture NAME line [N]' },
      { syntax: 'capture NAME TYPE [at OFFSET]' },
      { syntax: 'capture NAME bytes N [at OFFSET]' },
      { syntax: 'capture NAME hex N [at OFFSET]' },
      { syntax: 'capture /REGEX/FLAGS' },
    ],
    placement: { headers: ANYWHERE, where: 'any' },
    doc: 'Keeps part of the last thing received or looked up as {{NAME}} for every later step of the run: all of it, the first group of a /regex/ (or its whole match), line N, an integer field at an offset (u16, i32le, varint … as its decimal digits), N bytes at an offset (negative: from the end) as they are or as hex digits, or each named group (?P<name>…) of a /regex/.',
    python: "name = re.search(pattern, data).group(1)  # a field: struct.unpack_from('>H', data, 0)[0]",
    produces: false,
    example: 'capture id u16 at 0',
    keywords: [
      { at: 2, words: ['line', 'bytes', 'hex', ...INT_TYPES], role: 'keyword' },
      { words: ['at'], role: 'keyword' },
    ],
  },
  {
    name: 'set',
    kind: 'step',
    forms: [{ syntax: 'set NAME = VALUE' }],
    placement: { headers: ANYWHERE, where: 'any' },
    doc: 'Sets {{NAME}} for every later step of the run, VALUE expanded once, here: a random key or a timestamp stays fixed. Integers joined by + - * (spaces around each) are computed: set n = {{n}} + 1.',
    python: 'name = value',
    produces: false,
    example: 'set key = user-{{$randomInt 1 1000000}}',
    keywords: [],
  },
  {
    name: 'starttls',
    kind: 'step',
    forms: [{ syntax: 'starttls [timeout D]', transports: ['tcp'] }],
    placement: { headers: ['connect'], transports: ['tcp'], where: '`connect tcp` blocks' },
    doc: "Makes a TLS handshake on the block's open TCP connection (STARTTLS: SMTP, IMAP, POP3, XMPP …), verified as connect tls is, with the block's TLS lines (ca, servername, insecure, alpn, cert, key); every later step is encrypted on the wire. Read the server's go-ahead first: bytes not read when it starts are an error.",
    python: 's = ctx.wrap_socket(s, server_hostname=host)',
    produces: false,
    example: 'starttls',
    keywords: [{ at: 1, words: ['timeout'], role: 'keyword' }],
  },
  {
    name: 'close',
    kind: 'step',
    forms: [{ syntax: 'close' }],
    placement: { headers: CONNECTED, where: 'client, listener' },
    doc: 'Closes the connection (FIN after what was sent).',
    python: 's.close()',
    produces: false,
    example: 'close',
    keywords: [],
  },
  {
    name: 'fault',
    kind: 'step',
    forms: [{ syntax: 'fault delay D' }, { syntax: 'fault drip N every D' }, { syntax: 'fault partial N' }, { syntax: 'fault close-after N' }, { syntax: 'fault reset-after N' }, { syntax: 'fault drop' }, { syntax: 'fault none' }],
    placement: { headers: CONNECTED, where: 'client, listener' },
    doc: 'Injects a fault into every later send of the connection (in a listener, of the session; at the top of a block, before its rules, for all of it): `delay D` waits first, `drip N every D` writes N bytes at a time, `partial N` writes only the first N bytes of each send, `close-after N` / `reset-after N` close (FIN) or reset (RST) the connection once N more bytes are out, mid-reply; `drop` sends nothing; `none` ends the faults. On UDP only `delay`, `drop` and `none`: a datagram goes whole or not at all.',
    python: 'time.sleep(d); for i in range(0, len(b), n): s.send(b[i:i+n]); time.sleep(d)',
    produces: false,
    example: 'fault delay 100ms',
    keywords: [{ at: 1, words: ['delay', 'drip', 'partial', 'close-after', 'reset-after', 'drop', 'none'], role: 'keyword' }, { after: 'drip', words: [], role: 'keyword' }, { words: ['every'], role: 'keyword' }],
  },
  {
    name: 'reset',
    kind: 'step',
    forms: [{ syntax: 'reset' }],
    placement: { headers: CONNECTED, transports: STREAMS, where: 'client, listener; stream only' },
    doc: 'Aborts the connection: a TCP peer gets a RST (SO_LINGER 0) and its next receive fails with ECONNRESET; a TLS or Unix connection is closed at once, unsent bytes dropped.',
    python: 's.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close()',
    produces: false,
    example: 'reset',
    keywords: [],
  },
  {
    name: 'shutdown',
    kind: 'step',
    forms: [{ syntax: 'shutdown' }],
    placement: { headers: CONNECTED, transports: STREAMS, where: 'client, listener; stream only' },
    doc: 'Half-closes: sends FIN and keeps receiving.',
    python: 's.shutdown(socket.SHUT_WR)',
    produces: false,
    example: 'shutdown',
    keywords: [],
  },
  {
    name: 'echo',
    kind: 'step',
    forms: [{ syntax: 'echo [timeout D]' }],
    placement: { headers: ['listen'], where: 'listener only' },
    doc: 'Sends back everything the peer sends, until it closes its side (listener blocks).',
    produces: false,
    example: 'echo',
    keywords: [{ at: 1, words: ['timeout'], role: 'keyword' }],
  },
  {
    name: 'forward',
    kind: 'step',
    forms: [{ syntax: 'forward tcp HOST:PORT [timeout D]' }, { syntax: 'forward tls HOST:PORT [insecure] [timeout D]' }, { syntax: 'forward unix PATH [timeout D]' }, { syntax: 'forward udp HOST:PORT' }],
    placement: { headers: ['listen'], transports: ['tcp', 'tls', 'unix'], where: 'listener only (a UDP listener: forward udp)' },
    doc: 'Relays the connection: opens a connection to the upstream (its connect waits up to the timeout) and forwards both ways until both peers have closed, passing each FIN on, with backpressure. Both legs are one conversation in the capture. `insecure` skips verifying a TLS upstream. Nothing may follow it.',
    python: 'up = socket.create_connection((host, port)); then copy both ways (socat TCP-LISTEN:… TCP:…)',
    produces: false,
    example: 'forward tcp 127.0.0.1:8000',
    keywords: [
      { at: 1, words: ['tcp', 'tls', 'unix', 'udp'], role: 'transport' },
      { after: 'timeout', words: [], role: 'keyword' },
      { words: ['insecure', 'timeout'], role: 'keyword' },
    ],
  },
  {
    name: 'wait',
    kind: 'step',
    forms: [{ syntax: 'wait D' }],
    placement: { headers: ANYWHERE, where: 'any' },
    doc: 'Pauses the block for a duration.',
    python: 'time.sleep(seconds)',
    produces: false,
    example: 'wait 10ms',
    keywords: [],
  },
  {
    name: 'await',
    kind: 'step',
    forms: [{ syntax: 'await LISTENER accepted [N] [timeout D]' }, { syntax: 'await LISTENER datagram [N] [timeout D]' }, { syntax: 'await CONNECTION data [N] [timeout D]' }],
    placement: { headers: ANYWHERE, where: 'any' },
    doc: 'Waits until a named listener of an earlier block has accepted N connections (TCP, Unix, TLS) or received N datagrams (UDP) in all, or a kept connection has received N bytes in all; N is 1 when not written. Fails with ETIMEDOUT after the timeout.',
    python: 'threading.Event().wait(timeout)',
    produces: false,
    example: 'await greeter accepted 2 timeout 1s',
    keywords: [
      { at: 2, words: ['accepted', 'datagram', 'data'], role: 'keyword' },
      { after: 'timeout', words: [], role: 'keyword' },
      { words: ['timeout'], role: 'keyword' },
    ],
  },
  {
    name: 'repeat',
    kind: 'repeat',
    forms: [{ syntax: 'repeat N [every D] [until PAYLOAD]' }, { syntax: 'repeat N [every D] until /REGEX/FLAGS' }, { syntax: 'repeat N rate R/s|BYTES/s' }],
    placement: { headers: ANYWHERE, where: 'any' },
    doc: 'Runs the steps up to `end` N times, optionally one round every D, or at a rate: R rounds a second (rate 500/s), or so many bytes sent a second (rate 2MB/s, 64KiB/s); with until, stops after the first round whose last value matches (polling), and fails when none of the N does.',
    python: 'for _ in range(n):',
    produces: false,
    example: 'repeat 2\nend',
    keywords: [
      { at: 2, words: ['every', 'rate', 'until'], role: 'keyword' },
      { after: 'every', words: [], role: 'keyword' },
      { after: 'rate', words: [], role: 'keyword' },
      { after: 'until', words: PAYLOAD_WORDS, role: 'payload' },
      { words: ['until'], role: 'keyword' },
    ],
  },
  {
    name: 'if',
    kind: 'if',
    forms: [{ syntax: 'if PAYLOAD' }, { syntax: 'if /REGEX/FLAGS' }],
    placement: { headers: ANYWHERE, where: 'any' },
    doc: 'Runs the steps up to `else` (or `end`) when the last value received or looked up contains the payload or matches the regex; else the steps after `else`.',
    python: 'if expected in data:',
    produces: false,
    example: 'if "OK"\nend',
    keywords: [{ at: 1, words: PAYLOAD_WORDS, role: 'payload' }],
  },
  {
    name: 'on',
    kind: 'on',
    forms: [{ syntax: 'on connect' }, { syntax: 'on PAYLOAD [at OFFSET]' }, { syntax: 'on exactly PAYLOAD' }, { syntax: 'on /REGEX/FLAGS' }, { syntax: 'on half-close' }, { syntax: 'on other' }],
    placement: { headers: ['listen'], where: 'listener only' },
    doc: 'A responder rule, closed by `end`: after the block\'s steps, a listener answers each message (cut as `messages` says) with the steps of the first rule whose test it passes (as `expect` tests: contains, `at`, `exactly`, a regex whose named groups become variables), else `on other`. `on connect` runs when a peer connects, `on half-close` when it sends FIN.',
    python: 'while data := conn.recv(4096): if re.search(…, data): conn.sendall(reply)',
    produces: false,
    example: 'on /^PING/\nsend "+PONG\\r\\n"\nend',
    keywords: [{ at: 1, words: ['connect', 'half-close', 'other', 'exactly', ...PAYLOAD_WORDS], role: 'keyword' }],
  },
  {
    name: 'else',
    kind: 'else',
    forms: [{ syntax: 'else' }],
    placement: { headers: ANYWHERE, where: 'any' },
    doc: 'Starts the steps an `if` runs when its test does not hold, up to `end`.',
    python: 'else:',
    produces: false,
    example: 'if "OK"\nelse\nend',
    keywords: [],
  },
  {
    name: 'end',
    kind: 'end',
    forms: [{ syntax: 'end' }],
    placement: { headers: ANYWHERE, where: 'any' },
    doc: 'Closes the innermost `repeat` or `if`.',
    produces: false,
    example: 'repeat 2\nend',
    keywords: [],
  },
  setting('eol', 'block', 'eol crlf|lf', { headers: ANYWHERE, where: 'any' }, "Sets the line ending of the block's heredoc lines: crlf (the default) or lf.", 'eol lf', { keywords: [{ at: 1, words: ['crlf', 'lf'], role: 'keyword' }] }),
  setting('max-conns', 'listener', 'max-conns N', { headers: ['listen'], where: 'listener only' }, 'Serves at most N connections at once (on UDP, N sessions); the default is 100.', 'max-conns 1'),
  setting('allow', 'listener', 'allow ADDRESS…', { headers: ['listen'], transports: ['tcp', 'tls', 'udp'], where: 'listener only' }, 'Serves only peers that match one of these addresses or subnets.', 'allow 127.0.0.1 10.0.0.0/8'),
  setting('deny', 'listener', 'deny ADDRESS…', { headers: ['listen'], transports: ['tcp', 'tls', 'udp'], where: 'listener only' }, 'Never serves peers that match one of these addresses or subnets; deny wins over allow.', 'deny 10.0.0.0/8'),
  setting('messages', 'listener', 'messages chunk|line|until PAYLOAD|exactly N|frame …|all', { headers: ['listen'], where: 'listener only' }, 'How a responder (`on` rules) cuts what a peer sends into messages: as a `recv` of that form reads (default `chunk`: each chunk or datagram as it arrives).', 'messages chunk', { keywords: [{ at: 1, words: ['chunk', 'line', 'until', 'exactly', 'frame', 'all'], role: 'keyword' }] }),
  setting('rewrite', 'listener', 'rewrite up|down MATCH with PAYLOAD', { headers: ['listen'], transports: STREAMS, where: 'listener only, after forward' }, 'Changes what a relay forwards one way, chunk by chunk as it arrives: every match of a /regex/ or every run of a payload\'s bytes is replaced with the payload. `up` is what the client sends upstream, `down` what the upstream sends back.', 'forward tcp 127.0.0.1:8000\nrewrite down "hello" with "HELLO"', { keywords: [{ at: 1, words: ['up', 'down'], role: 'keyword' }, { words: ['with'], role: 'keyword' }] }),
  setting('idle-timeout', 'listener', 'idle-timeout D', { headers: ['listen'], transports: STREAMS, where: 'listener only' }, 'Closes a connection on which nothing is sent or received for a duration.', 'idle-timeout 5s'),
  setting('remove-stale', 'listener', 'remove-stale', { headers: ['listen'], transports: ['unix'], where: 'listener only' }, 'Removes a stale socket file (one no listener is listening on) in the way of a Unix listener.', 'remove-stale'),
  setting('insecure', 'tls', 'insecure', TLS_CLIENT, 'Connects without verifying the server certificate or its name (the parser warns).', 'insecure', { python: 'ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE' }),
  setting('ca', 'tls', 'ca FILE', TLS_ANY, 'A client trusts the PEM certificates in FILE instead of the default roots; a listener requires each client to show a certificate they signed (mutual TLS) and refuses the others.', 'ca ca.pem', { python: 'ctx.load_verify_locations(cafile)  # a listener: ctx.verify_mode = ssl.CERT_REQUIRED' }),
  setting('servername', 'tls', 'servername NAME', TLS_CLIENT, 'The name sent in SNI and checked against the certificate; the target host by default.', 'servername lab.test', { python: 'ctx.wrap_socket(s, server_hostname=name)' }),
  setting('alpn', 'tls', 'alpn PROTOCOL…', { headers: ['connect', 'listen'], transports: ['tls'], where: '`connect tls` and `listen tls` blocks only' }, 'The ALPN protocols to offer (client) or accept (listener), in order of preference.', 'alpn h2 http/1.1', { python: "ctx.set_alpn_protocols(['h2', 'http/1.1'])" }),
  setting('cert', 'tls', 'cert FILE', TLS_ANY, "The block's certificate in PEM (the chain, its own certificate first): a listener's, or a client's for mutual TLS.", 'cert cert.pem', { python: 'ctx.load_cert_chain(certfile, keyfile)' }),
  setting('key', 'tls', 'key FILE', TLS_ANY, "The private key of the block's certificate, in PEM, not encrypted.", 'key key.pem', { python: 'ctx.load_cert_chain(certfile, keyfile)' }),
  setting('self-signed', 'tls', 'self-signed', TLS_LISTENER, 'Makes a new self-signed certificate for the listener each time the block runs.', 'self-signed'),
  setting('load', 'load', 'load N clients [ramp D] [rate R/s] [for D]', { headers: ['connect'], where: '`connect` blocks only' }, 'Runs the block as N virtual clients at once, each with its own connection and variables: each runs the steps once, or again and again `for D`; `rate R/s` starts R sessions a second whatever the replies (open loop), at most N at once; `ramp D` spreads the starts over D. The block then reports latency percentiles (connect, TLS, first byte, round trip, session), throughput and errors by code, which `expect p99 < 20ms` and `expect errors 0` check.', 'load 100 clients for 10s', {
    python: 'threading.Thread(target=client).start()  # N times',
    keywords: [{ at: 2, words: ['clients'], role: 'keyword' }, { words: ['ramp', 'rate', 'for'], role: 'keyword' }],
  }),
  setting('broadcast', 'udp', 'broadcast', { headers: ['connect', 'listen'], transports: ['udp'], where: '`connect udp` and `listen udp` blocks' }, 'Allows sending to broadcast addresses (SO_BROADCAST).', 'broadcast', { python: 's.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)' }),
  setting('join', 'udp', 'join GROUP [INTERFACE_ADDRESS]', { headers: ['listen'], transports: ['udp'], where: '`listen udp` blocks only' }, 'Joins a multicast group, on an interface if given, to receive its datagrams.', 'join 239.1.2.3', { python: 's.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)' }),
  lookup('hostname', ['hostname'], "The machine's host name.", 'socket.gethostname()', 'hostname'),
  lookup('lookup', ['lookup NAME', 'lookup ADDRESS'], 'Resolves a host name to its addresses, or an address to its name, through the system resolver.', 'socket.gethostbyname(name) / socket.gethostbyaddr(address)', 'lookup localhost'),
  lookup('resolve', ['resolve NAME TYPE [@SERVER]'], 'Asks a DNS server for records of a type (A, AAAA, MX, TXT, SRV, NS, CNAME, PTR), like dig.', undefined, 'resolve lab.test A @127.0.0.1:5353', [{ at: 2, words: RECORD_TYPE_WORDS, role: 'record-type' }]),
  lookup('service', ['service NAME [tcp|udp]', 'service PORT [tcp|udp]'], 'Maps a service name to its port, or a port to its service (/etc/services).', "socket.getservbyname('http', 'tcp') / socket.getservbyport(80, 'tcp')", 'service http tcp', [
    { at: 1, words: COMMON_SERVICES, role: 'service' },
    { at: 2, words: ['tcp', 'udp'], role: 'transport' },
  ]),
  lookup('aton', ['aton ADDRESS'], 'Packs an IPv4 address into 4 bytes (inet_aton(3): 127.1 and 0x7f.1 work too).', "socket.inet_aton('127.0.0.1')", 'aton 127.1'),
  lookup('ntoa', ['ntoa HEX'], 'Unpacks 4 bytes into a dotted quad.', "socket.inet_ntoa(b'\\x7f\\x00\\x00\\x01')", 'ntoa 7f000001'),
  lookup('pton', ['pton ADDRESS'], 'Packs an IPv4 or IPv6 address (inet_pton(3)).', 'socket.inet_pton(socket.AF_INET6, "::1")', 'pton ::1'),
  lookup('ntop', ['ntop HEX'], 'Unpacks 4 or 16 bytes into address text (inet_ntop(3)).', 'socket.inet_ntop(socket.AF_INET6, packed)', 'ntop 7f000001'),
];

/** {@link VERBS} by name. */
export const VERB_BY_NAME: ReadonlyMap<string, VerbSpec> = new Map(VERBS.map((v) => [v.name, v]));

/**
 * The words completion offers for the word `index` (1-based, after the verb) of a statement of
 * `verb`, given the word before it; none for an unknown verb.
 */
export function keywordSlotAt(verb: string, index: number, previous: string | undefined): KeywordSlot | undefined {
  const slots = VERB_BY_NAME.get(verb)?.keywords;
  if (!slots || index < 1) return undefined;
  return slots.find((s) => s.at === index) ?? slots.find((s) => s.after !== undefined && s.after === previous) ?? (index > 1 ? slots.find((s) => s.at === undefined && s.after === undefined) : undefined);
}
