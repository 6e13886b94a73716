/**
 * The steps that read from the peer and check what came (spec §7–§8): `recv` in its forms,
 * `expect` with its matchers and facts, `capture`, and a listener's `echo`.
 */
import { INT_TYPES, isIntType, type IntType } from '../../net/fields';
import { regexGroupCount, regexGroupNames } from '../../net/regex';
import { RECV_MAX_BYTES } from '../../net/stream';
import type { Amount, BlockTransport, Comparison, LoadMetric, LoadStat, Matcher, Payload, Step } from '../ast';
import { LOAD_METRICS, LOAD_STATS } from '../lang/verbs';
import type { BlockDraft } from './blockDraft';
import { allDigits, isSpace, LineError } from './lexer';
import { KEYWORDS, NAME, type LineParser } from './lineParser';
import { parseMultiPayload, parsePayload, STOP_AT_TIMEOUT } from './payloads';

type RecvMode = 'chunk' | 'bytes' | 'exactly' | 'line' | 'until' | 'all' | 'frame';

/** A recv step with exactly the keys it has, each shape written out once. */
function recvStep(p: LineParser, mode: RecvMode, max: Amount | undefined, until: Payload | undefined, timeoutMs: Amount | undefined): Step {
  const range = p.statementRange();
  const source = p.statementSource();
  if (until !== undefined) return timeoutMs === undefined ? { kind: 'recv', mode, until, range, source } : { kind: 'recv', mode, until, timeoutMs, range, source };
  if (max !== undefined) return timeoutMs === undefined ? { kind: 'recv', mode, max, range, source } : { kind: 'recv', mode, max, timeoutMs, range, source };
  return timeoutMs === undefined ? { kind: 'recv', mode, range, source } : { kind: 'recv', mode, timeoutMs, range, source };
}

/** `TYPE [after N] [inclusive]` after `recv frame`: a fixed-width or varint length. */
function parseFrame(p: LineParser): { type: IntType; after: number; inclusive: boolean } {
  const { c } = p;
  const t = c.word('the length field\'s type, e.g. recv frame u16');
  if (!isIntType(t.text) || t.text === 'dec') throw p.keywordError(INT_TYPES.filter((x) => x !== 'dec'), `recv frame takes its length's type: u8 … u64, u16le …, i8 … i64 or varint; not "${t.text}"`, `"${t.text}" is not a length type`);
  let after = 0;
  let inclusive = false;
  for (;;) {
    if (c.atEnd()) break;
    const save = c.pos;
    c.next('');
    if (c.is('after') && after === 0) {
      const n = c.word('a header size in bytes, e.g. after 1');
      if (!/^\d{1,4}$/.test(n.text) || Number(n.text) > 1024) throw p.literalRequired('a header size', 'after 1') ?? new LineError(`after takes the header's size in bytes, 0 to 1024, not "${n.text}"`, n.start, n.end);
      after = Number(n.text);
    } else if (c.is('inclusive') && !inclusive) {
      inclusive = true;
    } else {
      c.pos = save;
      break;
    }
  }
  return { type: t.text, after, inclusive };
}

/** `recv`, `recv N`, `recv exactly N`, `recv line`, `recv until PAYLOAD`, `recv all`, each with an optional timeout. */
export function parseRecv(p: LineParser, transport: BlockTransport | undefined): Step {
  const { c } = p;
  if (c.atEnd()) return recvStep(p, 'chunk', undefined, undefined, undefined);
  const save = c.pos;
  c.next('');
  const { text, start: wordStart, stop: wordEnd } = c;
  const at = wordStart - c.base;
  const to = wordEnd - c.base;
  if (c.hasReference()) return recvStep(p, 'bytes', p.wordTemplate(), undefined, p.optionalTimeout(KEYWORDS.recvTimeout));
  if (allDigits(c.codes, wordStart, wordEnd)) {
    const max = Number(c.slice());
    if (max < 1) throw new LineError('recv N needs N ≥ 1', at, to);
    return recvStep(p, 'bytes', max, undefined, p.optionalTimeout(KEYWORDS.recvTimeout));
  }
  const mode = c.is('until') ? 'until' : c.is('all') ? 'all' : c.is('line') ? 'line' : c.is('exactly') ? 'exactly' : c.is('frame') ? 'frame' : undefined;
  if (mode !== undefined) {
    if (transport === 'udp') throw new LineError(`recv ${mode} is for streams; a UDP recv returns one datagram`, at, to);
    if (mode === 'frame' && c.nextIs('from')) {
      c.next('from');
      const start = parsePayload(p, KEYWORDS.until, { stopWords: ['to'] });
      const to = c.word('to END, e.g. recv frame from hex 02 to hex 03');
      if (to.text !== 'to') throw p.keywordError(['to'], `recv frame from START takes to END next, not "${to.text}"`, `unexpected "${to.text}"`);
      const end = parsePayload(p, KEYWORDS.until, STOP_AT_TIMEOUT);
      if (start.kind === 'heredoc' || end.kind === 'heredoc') throw p.verbError('a frame\'s delimiters are written on its line: "text", hex, base64 or file');
      const timeoutMs = p.optionalTimeout(KEYWORDS.recvTimeout);
      const range = p.statementRange();
      const source = p.statementSource();
      const delimited = { start, end };
      return timeoutMs === undefined ? { kind: 'recv', mode, delimited, range, source } : { kind: 'recv', mode, delimited, timeoutMs, range, source };
    }
    if (mode === 'frame') {
      const frame = parseFrame(p);
      const timeoutMs = p.optionalTimeout(KEYWORDS.recvTimeout);
      const range = p.statementRange();
      const source = p.statementSource();
      return timeoutMs === undefined ? { kind: 'recv', mode, frame, range, source } : { kind: 'recv', mode, frame, timeoutMs, range, source };
    }
    if (mode === 'line' || mode === 'all') return recvStep(p, mode, undefined, undefined, p.optionalTimeout(KEYWORDS.recvTimeout));
    if (mode === 'exactly') {
      const n = c.word('a byte count after "exactly"');
      if (c.hasReference()) return recvStep(p, 'exactly', p.wordTemplate(), undefined, p.optionalTimeout(KEYWORDS.recvTimeout));
      if (!/^\d+$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > RECV_MAX_BYTES) throw p.literalRequired('a byte count', 'recv exactly 16') ?? new LineError(`recv exactly N needs a byte count from 1 to ${RECV_MAX_BYTES}`, n.start, n.end);
      return recvStep(p, 'exactly', Number(n.text), undefined, p.optionalTimeout(KEYWORDS.recvTimeout));
    }
    const until = parsePayload(p, KEYWORDS.until, STOP_AT_TIMEOUT);
    return recvStep(p, 'until', undefined, until, p.optionalTimeout(KEYWORDS.recvTimeout));
  }
  if (c.is('timeout')) {
    c.pos = save;
    return recvStep(p, 'chunk', undefined, undefined, p.optionalTimeout(KEYWORDS.recvTimeout));
  }
  throw p.literalRequired('a byte count', 'recv 1024') ?? p.keywordError(KEYWORDS.recv, `recv takes N, exactly N, line, until PAYLOAD, all, or nothing; not "${text.slice(wordStart, wordEnd)}"`);
}

/** `echo [timeout D]`: a listener sends back what its peer sends. */
export function parseEcho(p: LineParser, draft: BlockDraft): Step {
  if (draft.headerVerb !== 'listen') throw p.verbError('echo is a listener step: it sends back what a peer sends');
  const timeoutMs = p.optionalTimeout(KEYWORDS.echo);
  return timeoutMs === undefined ? { kind: 'echo', range: p.statementRange(), source: p.statementSource() } : { kind: 'echo', timeoutMs, range: p.statementRange(), source: p.statementSource() };
}

/** `forward TRANSPORT TARGET [insecure] [timeout D]`: a listener relays each connection to an upstream (§7.8). */
export function parseForward(p: LineParser, draft: BlockDraft): Step {
  if (draft.headerVerb !== 'listen') throw p.verbError('forward is a listener step: it relays each accepted connection to an upstream');
  if (draft.groups.length > 0) throw p.verbError('forward relays the whole connection: it cannot sit in a repeat or an if');
  const { c } = p;
  c.next('tcp, tls, unix or udp');
  const transport = c.is('tcp') ? 'tcp' : c.is('tls') ? 'tls' : c.is('unix') ? 'unix' : c.is('udp') ? 'udp' : undefined;
  if (transport === undefined) throw p.keywordError(KEYWORDS.forwardTransport, `forward takes tcp, tls, unix or udp, not "${c.slice()}"`);
  // A stream relays to a stream, a datagram to a datagram (TLS may end on either side).
  if ((transport === 'udp') !== (draft.transport === 'udp')) throw p.verbError(draft.transport === 'udp' ? 'a UDP listener forwards to a UDP upstream: forward udp HOST:PORT' : 'a stream listener forwards to a stream: forward tcp, tls or unix');
  c.next(transport === 'unix' ? 'a socket path' : 'HOST:PORT');
  const target = p.template(c.start, c.stop);
  let insecure = false;
  let timeoutMs: Amount | undefined;
  while (!c.atEnd()) {
    c.next('');
    if (c.is('insecure') && transport === 'tls') insecure = true;
    else if (c.is('timeout')) timeoutMs = p.durationOrVariable();
    else throw p.keywordError(KEYWORDS.forwardOption, `unexpected "${c.slice()}" (expected ${transport === 'tls' ? '"insecure" or ' : ''}"timeout DURATION")`, `unexpected "${c.slice()}"`);
  }
  draft.forwarded = true;
  return { kind: 'forward', transport, target, ...(insecure ? { insecure } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}), range: p.statementRange(), source: p.statementSource() };
}

/** `expect MATCHER`: what the last receive or lookup gave, or a fact of the last step (§8.6). */
export function parseExpect(p: LineParser, draft: BlockDraft): Step {
  const matcher = parseMatcher(p);
  p.c.expectEnd();
  if ((matcher.kind === 'contains' || matcher.kind === 'exactly' || matcher.kind === 'regex' || matcher.kind === 'bytes') && !draft.produces) {
    p.warnAtVerb('expect checks the last receive or lookup, and none comes before it in this block');
  }
  if (matcher.kind === 'latency' || matcher.kind === 'errors') {
    // Checked once, when the load ends (§8.15): inside a group it would read as checked each round.
    const group = draft.groups[draft.groups.length - 1];
    if (group) throw p.verbError(`this expect checks a load as a whole, once, when it ends: write it outside ${group.on ? 'on' : group.test ? 'if' : 'repeat'}`);
    draft.loadExpect ??= p.statementRange();
  }
  return { kind: 'expect', matcher, range: p.statementRange(), source: p.statementSource() };
}

function parseMatcher(p: LineParser): Matcher {
  const { codes, c, text } = p;
  const ch = c.peek();
  if (ch === 0x2f /* / */) {
    const source = p.regex();
    return { kind: 'regex', source, flags: c.flags };
  }
  if (text.startsWith('error', c.pos) && (c.pos + 5 >= c.end || isSpace(codes[c.pos + 5]))) {
    c.next('error');
    let code: string | undefined;
    if (!c.atEnd() && c.peek() !== 0x22 && c.peek() !== 0x2f) {
      const t = c.word('an error code');
      if (!/^[A-Z][A-Z0-9_]+$/.test(t.text)) throw new LineError(`"${t.text}" is not an error code such as ECONNREFUSED; a message pattern is "text" or /regex/`, t.start, t.end);
      code = t.text;
    }
    if (c.atEnd()) return code ? { kind: 'error', code } : { kind: 'error' };
    let pattern: Matcher;
    if (c.peek() === 0x2f) {
      const source = p.regex();
      pattern = { kind: 'regex', source, flags: c.flags };
    } else if (c.peek() === 0x22) pattern = { kind: 'contains', payload: parsePayload(p, KEYWORDS.expect) };
    else {
      const t = c.word('');
      throw new LineError(`after expect error${code ? ` ${code}` : ''}, a message pattern is "text" or /regex/`, t.start, t.end);
    }
    return code ? { kind: 'error', code, pattern } : { kind: 'error', pattern };
  }
  const fact = parseFact(p);
  if (fact) return fact;
  return parseMessageMatcher(p);
}

/**
 * A test of received bytes, as `expect` and a responder's `on` write it: `/REGEX/FLAGS`,
 * `exactly PAYLOAD`, or `PAYLOAD [at OFFSET]` (§8.4, §8.5).
 */
export function parseMessageMatcher(p: LineParser): Matcher {
  const { c } = p;
  if (c.peek() === 0x2f /* / */) {
    const source = p.regex();
    return { kind: 'regex', source, flags: c.flags };
  }
  if (c.nextIs('exactly')) {
    c.next('exactly');
    return { kind: 'exactly', payload: parseMultiPayload(p, KEYWORDS.expect, { wildcards: true }) };
  }
  const payload = parseMultiPayload(p, KEYWORDS.expect, { wildcards: true, stopAtAt: true });
  if (c.atEnd()) return { kind: 'contains', payload };
  const at = parseAt(p);
  return { kind: 'contains', payload, at };
}

/**
 * `expect time OP DURATION`, `expect bytes [OP] N`, `expect closed` and `expect tls FACT …`
 * (§8.6.1); `undefined`, the cursor where it was, when the next word is none of their keywords.
 */
function parseFact(p: LineParser): Matcher | undefined {
  const { c } = p;
  if (c.atEnd()) return undefined;
  const save = c.pos;
  c.next('');
  if (c.is('closed')) return { kind: 'closed' };
  if (c.is('errors')) {
    const op = parseComparison(p, 'errors', false);
    const n = c.word('a number of sessions, e.g. expect errors 0');
    if (!/^\d{1,9}$/.test(n.text)) throw new LineError(`expect errors takes a number of sessions, e.g. expect errors 0 or expect errors < 5; not "${n.text}"`, n.start, n.end);
    return { kind: 'errors', op, count: Number(n.text) };
  }
  const word = c.slice();
  const metric = (LOAD_METRICS as readonly string[]).includes(word) ? (word as LoadMetric) : undefined;
  if ((metric && (metric !== 'tls' || nextIsStat(p, save))) || (LOAD_STATS as readonly string[]).includes(word)) {
    if (metric) c.next(`a statistic: ${LOAD_STATS.join(', ')}`);
    const stat = c.slice();
    if (!(LOAD_STATS as readonly string[]).includes(stat)) throw p.keywordError([...LOAD_STATS], `expect ${metric} takes a statistic, ${LOAD_STATS.join(', ')}, e.g. expect ${metric} p99 < 20ms; not "${stat}"`);
    const op = parseComparison(p, stat, true);
    return { kind: 'latency', metric: metric ?? 'round-trip', stat: stat as LoadStat, op, ms: p.durationOrVariable() };
  }
  if (c.is('time')) {
    const op = parseComparison(p, 'time', true);
    return { kind: 'time', op, ms: p.durationOrVariable() };
  }
  if (c.is('bytes')) {
    const op = parseComparison(p, 'bytes', false);
    c.next('a byte count, e.g. expect bytes 5');
    if (c.hasReference()) return { kind: 'bytes', op, count: p.wordTemplate() };
    const n = c.token();
    if (!/^\d{1,9}$/.test(n.text)) throw new LineError(`expect bytes takes a byte count, e.g. expect bytes 5 or expect bytes >= 5; not "${n.text}"`, n.start, n.end);
    return { kind: 'bytes', op, count: Number(n.text) };
  }
  if (!c.is('tls')) {
    c.pos = save;
    return undefined;
  }
  c.next(`a TLS fact: ${KEYWORDS.expectTls.join(', ')}`);
  const name = c.slice();
  if (name === 'verified') return { kind: 'tls', fact: { name } };
  if (name === 'subject') {
    if (c.peek() !== 0x2f /* / */) throw new LineError('expect tls subject takes a /regex/, e.g. /CN=localhost/', c.start - c.base, c.stop - c.base);
    const source = p.regex();
    return { kind: 'tls', fact: { name, source, flags: c.flags } };
  }
  if (name === 'protocol' || name === 'cipher' || name === 'alpn' || name === 'fingerprint') {
    c.next(name === 'protocol' ? 'a protocol, e.g. TLSv1.3' : name === 'cipher' ? 'a cipher suite, e.g. TLS_AES_256_GCM_SHA384' : name === 'alpn' ? 'a protocol name, e.g. h2, or none' : 'a SHA-256 fingerprint, AB:CD:…');
    return { kind: 'tls', fact: { name, value: p.wordTemplate() } };
  }
  throw p.keywordError(KEYWORDS.expectTls, `expect tls checks ${KEYWORDS.expectTls.join(', ')}; not "${name}"`);
}

/**
 * True when the word after the current one is a statistic (`expect tls p99 …`, not `expect tls
 * verified`). The cursor is left on the current word again, read from `start`.
 */
function nextIsStat(p: LineParser, start: number): boolean {
  const { c } = p;
  if (c.atEnd()) return false;
  c.next('');
  const yes = LOAD_STATS.some((s) => c.is(s));
  c.pos = start;
  c.next('');
  return yes;
}

/** The comparison after `expect time` or `expect bytes`; `=` when none is written and `required` is false. */
function parseComparison(p: LineParser, what: string, required: boolean): Comparison {
  const { c } = p;
  const save = c.pos;
  if (!c.atEnd()) {
    c.next('');
    const op = c.slice();
    if (op === '<' || op === '<=' || op === '>' || op === '>=' || op === '=') return op;
    if (/^[<>=]/.test(op)) throw new LineError(`write a space after the comparison: expect ${what} ${op.replace(/^([<>]=?|=)(.*)$/, '$1 $2')}`, c.start - c.base, c.stop - c.base);
    c.pos = save;
  }
  if (required) throw new LineError(`expect ${what} takes a comparison, <, <=, >, >= or =, e.g. expect time < 20ms`, c.pos - c.base, c.pos - c.base + 1);
  return '=';
}

/** The largest offset of `at N` and count of `bytes N`: the most a receive can hold. */
const MAX_OFFSET = RECV_MAX_BYTES;

/** `at N` after a field: an offset from the start, or from the end when negative; 0 when absent. */
function parseAt(p: LineParser): number {
  const { c } = p;
  if (c.atEnd()) return 0;
  const t = c.word('');
  if (t.text !== 'at') throw p.keywordError(['at'], `unexpected "${t.text}" (expected "at OFFSET")`, `unexpected "${t.text}"`);
  const n = c.word('an offset in bytes, e.g. at 2, or at -4 from the end');
  if (!/^-?\d{1,9}$/.test(n.text) || Math.abs(Number(n.text)) > MAX_OFFSET) throw p.literalRequired('an offset', 'at 2') ?? new LineError(`at takes an offset in bytes from -${MAX_OFFSET} to ${MAX_OFFSET} (negative: from the end), not "${n.text}"`, n.start, n.end);
  return Number(n.text);
}

/** `TYPE [at N]`, `bytes N [at N]` or `hex N [at N]` after `capture NAME`, the first word (`kind`) just read. */
function parseCaptureField(p: LineParser, kind: string): { field?: IntType; count?: number; hex?: boolean; at?: number } {
  if (kind !== 'bytes' && kind !== 'hex') {
    const at = parseAt(p);
    return at === 0 ? { field: kind as IntType } : { field: kind as IntType, at };
  }
  const n = p.c.word(`a byte count, e.g. capture addr ${kind} 4 at -4`);
  if (!/^\d{1,9}$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > MAX_OFFSET) throw p.literalRequired('a byte count', `${kind} 4`) ?? new LineError(`${kind} takes a count from 1 to ${MAX_OFFSET}, not "${n.text}"`, n.start, n.end);
  const at = parseAt(p);
  const taken = kind === 'hex' ? { count: Number(n.text), hex: true } : { count: Number(n.text) };
  return at === 0 ? taken : { ...taken, at };
}

/**
 * `capture NAME`, `capture NAME /REGEX/FLAGS`, `capture NAME line [N]` or `capture /REGEX/FLAGS`
 * (named groups). Each name it gives becomes a variable `{{NAME}}` for later steps.
 */
export function parseCapture(p: LineParser, draft: BlockDraft): Step {
  const { c } = p;
  let name: string | undefined;
  if (c.peek() !== 0x2f /* / */) {
    const t = c.word('a variable name, e.g. capture token, or a /regex/ with named groups');
    if (!NAME.test(t.text)) throw new LineError(`"${t.text}" is not a variable name: letters, digits, _ and -, starting with a letter or _`, t.start, t.end);
    name = t.text;
  }
  let pattern: { source: string; flags: string } | undefined;
  let line: number | undefined;
  if (!c.atEnd()) {
    if (c.peek() === 0x2f) {
      const at = c.pos - p.lineStart;
      const source = p.regex();
      pattern = { source, flags: c.flags };
      if (name === undefined) {
        const groups = regexGroupNames(source, c.flags);
        if (groups.length === 0) throw new LineError('capture /regex/ without a name takes its named groups, (?P<name>…), and this regex has none: name the variable (capture NAME /regex/) or the groups', at, c.lastEnd - p.lineStart);
        for (const g of groups) {
          if (!NAME.test(g)) throw new LineError(`the group name "${g}" is not a variable name`, at, c.lastEnd - p.lineStart);
          p.giveCapture(g);
        }
      } else if (regexGroupCount(source, c.flags) > 1 && regexGroupNames(source, c.flags).length === 0) {
        p.error(`capture ${name} takes the first of this regex's groups; make the others (?:…) to say so`, p.line, at, c.lastEnd - p.lineStart, 'warning');
      }
    } else if (name !== undefined) {
      const t = c.word('');
      if (isIntType(t.text) || t.text === 'bytes' || t.text === 'hex') {
        const taken = parseCaptureField(p, t.text);
        c.expectEnd();
        if (!draft.produces) p.warnAtVerb('capture reads the last receive or lookup, and none comes before it in this block');
        p.giveCapture(name);
        return { kind: 'capture', name, ...taken, range: p.statementRange(), source: p.statementSource() };
      }
      if (t.text !== 'line') throw p.keywordError(KEYWORDS.capture, `unexpected "${t.text}" (after capture ${name}: a /regex/, line [N], an integer type such as u16, or bytes N)`, `unexpected "${t.text}"`);
      line = 1;
      if (!c.atEnd()) {
        const n = c.word('');
        if (!/^\d+$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > 1_000_000) throw new LineError('line takes a line number from 1 to 1000000', n.start, n.end);
        line = Number(n.text);
      }
    }
  } else if (name === undefined) {
    throw p.verbError('capture takes a variable name, or a /regex/ with named groups');
  }
  c.expectEnd();
  if (name !== undefined) p.giveCapture(name);
  if (!draft.produces) p.warnAtVerb('capture reads the last receive or lookup, and none comes before it in this block');
  return {
    kind: 'capture',
    ...(name !== undefined ? { name } : {}),
    ...(pattern !== undefined ? { pattern } : {}),
    ...(line !== undefined ? { line } : {}),
    range: p.statementRange(),
    source: p.statementSource(),
  };
}
