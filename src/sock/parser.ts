/**
 * The `.sock` parser: text in, a {@link SockFile} out, with every error and warning found. It never
 * throws on bad input: a malformed line becomes a diagnostic and parsing goes on with the next
 * line. The language is specified in `docs/sock-language.md`.
 */
import { isIP } from 'node:net';
import { parseHostPort } from '../net/address';
import { isMulticast } from '../net/datagram';
import { parseNameServer, RECORD_TYPES, type RecordType } from '../net/dnsQuery';
import { parseAddressPattern } from '../net/policy';
import { RECV_MAX_BYTES } from '../net/stream';
import { checkEscapes, decodeBase64, decodeHex } from '../net/payload';
import { SocketLabError } from '../net/errors';
import type { Block, BlockTransport, Builtin, Diagnostic, Header, Matcher, Payload, Position, Range, SockFile, Step, StepBody, Template, TemplatePart, TlsSettings, Variable } from './ast';

/**
 * A range within one line, stored as three numbers: a file has a range for every step and every
 * template, and three objects apiece made the parser mostly garbage collection. `start` and `end`
 * are made when asked for.
 */
class LineSpan implements Range {
  constructor(
    private readonly line: number,
    private readonly startColumn: number,
    private readonly endColumn: number,
  ) {}

  get start(): Position {
    return { line: this.line, column: this.startColumn };
  }

  get end(): Position {
    return { line: this.line, column: this.endColumn };
  }

  toJSON(): Range {
    return { start: this.start, end: this.end };
  }
}

/** A problem at columns `[start, end)` of the current line. */
class LineError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

const checkedRegexes = new Map<string, string>();

/** Why `/source/flags` is not a valid regular expression, or `''`; remembered, as files repeat them. */
function regexProblem(source: string, flags: string): string {
  const key = `${flags}/${source}`;
  let problem = checkedRegexes.get(key);
  if (problem === undefined) {
    try {
      new RegExp(source, flags);
      problem = '';
    } catch (err) {
      problem = (err as Error).message;
    }
    if (checkedRegexes.size > 10_000) checkedRegexes.clear();
    checkedRegexes.set(key, problem);
  }
  return problem;
}

/** White space as JavaScript's `\s` matches it, by character code (the parser's hot path). */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Reads one line token by token; `#` or `//` after whitespace starts a trailing comment. */
class LineCursor {
  pos = 0;
  constructor(readonly text: string) {}

  private skipSpace(): void {
    while (this.pos < this.text.length && isSpace(this.text.charCodeAt(this.pos))) this.pos++;
  }

  /** True at the end of the line or at a trailing comment (`#` or `//` after whitespace). */
  atEnd(): boolean {
    this.skipSpace();
    const { text, pos } = this;
    if (pos >= text.length) return true;
    const c = text.charCodeAt(pos);
    const commentStart = c === 0x23 /* # */ || (c === 0x2f /* / */ && text.charCodeAt(pos + 1) === 0x2f);
    return commentStart && (pos === 0 || isSpace(text.charCodeAt(pos - 1)));
  }

  peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }

  /** The next word; a `{{…}}` inside it is part of it even when it holds spaces (`{{$env NAME}}`). */
  word(what: string): Token {
    if (this.atEnd()) throw new LineError(`expected ${what}`, this.pos, this.pos + 1);
    const start = this.pos;
    this.skipWord();
    return { text: this.text.slice(start, this.pos), start, end: this.pos };
  }

  private skipWord(): void {
    const { text } = this;
    if (text.charCodeAt(this.pos) === 0x22 /* " */) {
      // A quoted string is one word, spaces and # included.
      let i = this.pos + 1;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      this.pos = Math.min(i + 1, text.length);
      return;
    }
    while (this.pos < text.length && !isSpace(text.charCodeAt(this.pos))) {
      if (text.charCodeAt(this.pos) === 0x7b /* { */ && text.charCodeAt(this.pos + 1) === 0x7b) {
        const close = text.indexOf('}}', this.pos + 2);
        this.pos = close < 0 ? text.length : close + 2;
      } else {
        this.pos++;
      }
    }
  }

  optionalWord(): Token | undefined {
    return this.atEnd() ? undefined : this.word('a word');
  }

  /** A `"…"` string; returns the raw text between the quotes (escapes still encoded). */
  quoted(): Token {
    this.skipSpace();
    const start = this.pos;
    let i = start + 1;
    while (i < this.text.length && this.text[i] !== '"') i += this.text[i] === '\\' ? 2 : 1;
    if (i >= this.text.length) throw new LineError('unterminated string: add the closing "', start, this.text.length);
    this.pos = i + 1;
    return { text: this.text.slice(start + 1, i), start: start + 1, end: i };
  }

  /** A `/regex/flags` literal. */
  regex(): { source: string; flags: string; start: number; end: number } {
    this.skipSpace();
    const start = this.pos;
    let i = start + 1;
    while (i < this.text.length && this.text[i] !== '/') i += this.text[i] === '\\' ? 2 : 1;
    if (i >= this.text.length) throw new LineError('unterminated regular expression: add the closing /', start, this.text.length);
    const source = this.text.slice(start + 1, i);
    let j = i + 1;
    while (j < this.text.length && /[a-z]/.test(this.text[j])) j++;
    const flags = this.text.slice(i + 1, j);
    const problem = regexProblem(source, flags);
    if (problem) throw new LineError(`invalid regular expression: ${problem}`, start, j);
    this.pos = j;
    return { source, flags, start, end: j };
  }

  /** Everything up to a trailing comment or the end of the line, trimmed. */
  rest(): Token {
    this.skipSpace();
    const start = this.pos;
    let end = start;
    while (!this.atEnd()) {
      this.skipWord();
      end = this.pos;
    }
    return { text: this.text.slice(start, end), start, end };
  }

  expectEnd(): void {
    if (!this.atEnd()) {
      const t = this.word('');
      throw new LineError(`unexpected "${t.text}"`, t.start, t.end);
    }
  }
}

function pick(r: { source: string; flags: string }): { source: string; flags: string } {
  return { source: r.source, flags: r.flags };
}

/**
 * Runs a check of the socket core on a token's text and reports its error at the token: a
 * {@link SocketLabError} (bad address, bad payload) becomes a {@link LineError} over `[start, end)`.
 */
function atToken<T>(where: { readonly start: number; readonly end: number }, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof SocketLabError) throw new LineError(err.message.replace(/ at offset \d+/, ''), where.start, where.end);
    throw err;
  }
}

/** Checks that literal hex is a packed address of one of the allowed lengths (ntoa: 4; ntop: 4 or 16). */
function checkPackedHex(t: Token, lengths: readonly number[], example: string): void {
  const n = atToken(t, () => decodeHex(t.text).length);
  if (!lengths.includes(n)) throw new LineError(`${example.split(' ')[0]} takes exactly ${lengths.join(' or ')} bytes, not ${n}, e.g. ${example}`, t.start, t.end);
}

/** The text of a token that must be written out: `{{…}}` is not expanded in settings lines. */
function literal(t: Token): string {
  if (t.text.includes('{{')) throw new LineError('variables are not expanded here: write the value itself', t.start, t.end);
  return t.text;
}

/** Levenshtein distance, for "did you mean" hints on misspelt verbs. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** Parses the inside of `{{$…}}`: `$timestamp`, `$randomInt A B`, `$env NAME`. */
function parseBuiltin(text: string, start: number, end: number): Builtin {
  const [name, ...args] = text.split(/\s+/);
  if (name === '$timestamp') {
    if (args.length > 0) throw new LineError('{{$timestamp}} takes no arguments', start, end);
    return { name: 'timestamp' };
  }
  if (name === '$randomInt') {
    const [min, max] = args.map(Number);
    // crypto.randomInt's bounds: safe integers less than 2^48 apart.
    if (args.length !== 2 || !args.every((a) => /^-?\d+$/.test(a)) || !Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min >= max || max - min > 2 ** 48 - 1) {
      throw new LineError('write {{$randomInt MIN MAX}} with integers MIN < MAX (MAX excluded, at most 2^48 - 1 apart)', start, end);
    }
    return { name: 'randomInt', min, max };
  }
  if (name === '$env') {
    if (args.length !== 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(args[0])) throw new LineError('write {{$env NAME}} with one environment variable name', start, end);
    return { name: 'env', variable: args[0] };
  }
  throw new LineError(`unknown built-in "${name}" (known: $timestamp, $randomInt MIN MAX, $env NAME)`, start, end);
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

/**
 * Parses a duration: `500ms`, `2s`, `1.5s`, `1m`.
 * @returns milliseconds, or `undefined` when `text` is not a duration
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const scale = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000;
  return Math.round(Number(m[1]) * scale);
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const LOOKUP_VERBS = new Set(['hostname', 'lookup', 'resolve', 'service', 'aton', 'ntoa', 'pton', 'ntop']);
const CHANNEL_VERBS = new Set(['send', 'recv', 'close', 'echo', 'shutdown']);
const MAX_REPEAT = 1_000_000;
const POLICY_VERBS = new Set(['max-conns', 'allow', 'deny', 'idle-timeout', 'remove-stale']);
const TLS_VERBS = new Set(['insecure', 'ca', 'servername', 'alpn', 'cert', 'key', 'self-signed']);
const UDP_VERBS = new Set(['broadcast', 'join']);
const ALL_VERBS = ['connect', 'listen', 'use', 'send', 'recv', 'expect', 'close', 'shutdown', 'echo', 'wait', 'repeat', 'end', 'eol', ...POLICY_VERBS, ...TLS_VERBS, ...UDP_VERBS, ...LOOKUP_VERBS];

interface PendingHeredoc {
  readonly tag: string;
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly resolve: (lines: Template[], endLine: number) => void;
}

interface BlockDraft {
  /** The text before the first ### line: a block only when it has statements. */
  preamble: boolean;
  title: string;
  startLine: number;
  header?: Header;
  steps: Step[];
  eol: 'crlf' | 'lf';
  hasStatements: boolean;
  /** The verb of the block's connect, listen or use line, even one with errors: its steps are not orphans. */
  headerVerb?: 'connect' | 'listen' | 'use';
  policy: { maxConnections?: number; allow: string[]; deny: string[]; idleTimeoutMs?: number; removeStale?: boolean };
  tls: { -readonly [K in keyof TlsSettings]: TlsSettings[K] };
  udp: { broadcast?: boolean; groups: { group: string; iface?: string }[] };
  /** Open `repeat` statements, innermost last: their steps collect here until `end`. */
  repeats: { count: number; everyMs?: number; steps: Step[]; range: Range; source: string }[];
}

class Parser {
  private lines: string[];
  private readonly diagnostics: Diagnostic[] = [];
  private readonly variables = new Map<string, Variable>();
  private readonly blocks: Block[] = [];
  private readonly references: { name: string; range: Range }[] = [];
  /** Names given with `as NAME`: listeners (for `{{NAME}}`) and connections (for `use NAME`). */
  private readonly names = new Map<string, { kind: 'listener' | 'connection'; transport: BlockTransport; keep: boolean }>();
  private line = 0;
  private heredoc: PendingHeredoc | undefined;

  constructor(text: string) {
    this.lines = text.split('\n');
    // CRLF files: drop the CR that ends each line (split on a string is much faster than on a regex).
    if (text.includes('\r')) this.lines = this.lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  parse(): SockFile {
    let draft: BlockDraft = { preamble: true, title: '', startLine: 0, steps: [], eol: 'crlf', hasStatements: false, repeats: [], policy: { allow: [], deny: [] }, tls: {}, udp: { groups: [] } };
    for (this.line = 0; this.line < this.lines.length; this.line++) {
      const raw = this.lines[this.line];
      const trimmed = raw.trim();
      if (trimmed.startsWith('###')) {
        this.finishBlock(draft, this.line - 1);
        draft = { preamble: false, title: trimmed.slice(3).trim(), startLine: this.line, steps: [], eol: 'crlf', hasStatements: false, repeats: [], policy: { allow: [], deny: [] }, tls: {}, udp: { groups: [] } };
        continue;
      }
      if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('//')) continue;
      try {
        this.statement(raw, draft);
      } catch (err) {
        if (!(err instanceof LineError)) throw err;
        this.error(err.message, this.line, err.start, err.end);
      }
      if (this.heredoc) this.readHeredoc();
    }
    this.finishBlock(draft, this.lines.length - 1);
    this.checkReferences();
    return { blocks: this.blocks, variables: this.variables, diagnostics: this.diagnostics };
  }

  private error(message: string, line: number, start: number, end: number, severity: 'error' | 'warning' = 'error'): void {
    this.diagnostics.push({ severity, message, range: { start: { line, column: start }, end: { line, column: Math.max(end, start + 1) } } });
  }

  private range(start: number, end: number, line = this.line): Range {
    return new LineSpan(line, start, end);
  }

  private finishBlock(draft: BlockDraft, lastLine: number): void {
    while (draft.repeats.length > 0) {
      const open = draft.repeats[draft.repeats.length - 1];
      this.diagnostics.push({ severity: 'error', message: 'repeat without end: add a line "end" after its steps', range: open.range });
      this.closeRepeat(draft);
    }
    if (draft.preamble && !draft.hasStatements) return;
    const h = draft.header;
    if (h?.kind === 'listen' && h.transport === 'tls') {
      const t = draft.tls;
      if (t.selfSigned && (t.cert || t.key)) this.diagnostics.push({ severity: 'error', message: 'self-signed makes its own certificate: drop cert and key, or self-signed', range: h.range });
      else if (!t.selfSigned && !(t.cert && t.key)) this.diagnostics.push({ severity: 'error', message: 'listen tls needs cert FILE and key FILE, or self-signed', range: h.range });
    }
    if (h?.kind === 'connect' && h.transport === 'udp' && !draft.udp.broadcast && 'text' in (h.target.parts[0] ?? {})) {
      // The host is written out even when the port is a variable: <broadcast>:{{rx.port}}.
      const lead = (h.target.parts[0] as { text: string }).text;
      const host = lead.slice(0, lead.lastIndexOf(':'));
      if (host === '255.255.255.255' || host === '<broadcast>') {
        this.diagnostics.push({ severity: 'error', message: 'sending to the broadcast address needs a broadcast line in the block (SO_BROADCAST, as Node\'s setBroadcast requires)', range: h.range });
      }
    }
    const end = Math.max(lastLine, draft.startLine);
    const block: { -readonly [K in keyof Block]: Block[K] } = {
      index: this.blocks.length + 1,
      title: draft.title,
      range: { start: { line: draft.startLine, column: 0 }, end: { line: end, column: this.lines[end]?.length ?? 0 } },
      steps: draft.steps,
      eol: draft.eol,
      policy: draft.policy,
      tls: draft.tls,
      udp: draft.udp,
    };
    if (draft.header) block.header = draft.header;
    this.blocks.push(block);
  }

  /** Reads the lines of a pending heredoc, up to its closing tag (or the next `###` block). */
  private readHeredoc(): void {
    const h = this.heredoc as PendingHeredoc;
    this.heredoc = undefined;
    const body: Template[] = [];
    let i = this.line + 1;
    for (; i < this.lines.length; i++) {
      const text = this.lines[i];
      if (text.trim() === h.tag) {
        h.resolve(body, i);
        this.line = i;
        return;
      }
      if (text.trim().startsWith('###')) break;
      try {
        body.push(this.template(text, 0, i));
      } catch (err) {
        if (!(err instanceof LineError)) throw err;
        this.error(err.message, i, err.start, err.end);
      }
    }
    this.error(`heredoc <<${h.tag} is not closed: add a line "${h.tag}" before the next ### block`, h.line, h.start, h.end);
    h.resolve(body, i - 1);
    this.line = i - 1;
  }

  private statement(raw: string, draft: BlockDraft): void {
    const c = new LineCursor(raw);
    const first = c.word('a statement');
    if (first.text.startsWith('@')) {
      this.variable(raw, first);
      return;
    }
    const verb = first.text;
    if (!ALL_VERBS.includes(verb)) {
      const hint = ALL_VERBS.find((v) => editDistance(v, verb) <= 2) ?? '';
      throw new LineError(`unknown statement "${verb}"${hint ? ` (did you mean "${hint}"?)` : ''}`, first.start, first.end);
    }
    const source = raw.slice(0, new LineCursor(raw).rest().end).trim();
    if (verb === 'connect' || verb === 'listen' || verb === 'use') {
      if (draft.headerVerb) throw new LineError(`a block has one connect, listen or use; start a new block with ### before this one`, first.start, first.end);
      if (draft.steps.length > 0 || draft.repeats.length > 0) throw new LineError(`${verb} must be the first statement of its block`, first.start, first.end);
      draft.headerVerb = verb;
      draft.header = verb === 'use' ? this.useHeader(c, source, first.start) : this.header(verb, c, source, first.start);
      draft.hasStatements = true;
      return;
    }
    if (POLICY_VERBS.has(verb)) {
      this.policy(verb, c, draft, first);
      return;
    }
    if (TLS_VERBS.has(verb)) {
      this.tlsSetting(verb, c, draft, first);
      draft.hasStatements = true;
      return;
    }
    if (UDP_VERBS.has(verb)) {
      this.udpSetting(verb, c, draft, first);
      return;
    }
    if (verb === 'repeat') {
      const n = c.word('a count, e.g. repeat 10');
      if (!/^\d+$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > MAX_REPEAT) throw new LineError(`repeat takes a count from 1 to ${MAX_REPEAT}`, n.start, n.end);
      let everyMs: number | undefined;
      if (!c.atEnd()) {
        const kw = c.word('');
        if (kw.text !== 'every') throw new LineError(`unexpected "${kw.text}" (expected "every DURATION")`, kw.start, kw.end);
        everyMs = this.duration(c);
        c.expectEnd();
      }
      draft.repeats.push({ count: Number(n.text), ...(everyMs !== undefined ? { everyMs } : {}), steps: [], range: this.range(first.start, first.start + source.length), source });
      draft.hasStatements = true;
      return;
    }
    if (verb === 'end') {
      c.expectEnd();
      if (draft.repeats.length === 0) throw new LineError('end without repeat', first.start, first.end);
      this.closeRepeat(draft);
      return;
    }
    if (verb === 'eol') {
      const t = c.word('crlf or lf');
      if (t.text !== 'crlf' && t.text !== 'lf') throw new LineError(`eol is crlf or lf, not "${t.text}"`, t.start, t.end);
      c.expectEnd();
      draft.eol = t.text;
      return;
    }
    if (CHANNEL_VERBS.has(verb) && !draft.headerVerb) {
      throw new LineError(`${verb} needs a connection: start the block with connect, listen or use`, first.start, first.end);
    }
    // Range and source are added to the fresh step object rather than spread into a copy: a
    // spread of many step shapes is a slow path in V8, and this is the parser's hottest line.
    const step = this.step(verb, c, draft, first) as StepBody & { range: Range; source: string };
    step.range = this.range(first.start, first.start + source.length);
    step.source = source;
    this.currentSteps(draft).push(step);
    draft.hasStatements = true;
  }

  /** A listener block's policy line: `max-conns N`, `allow …`, `deny …`, `idle-timeout D`, `remove-stale`. */
  private policy(verb: string, c: LineCursor, draft: BlockDraft, first: Token): void {
    if (draft.headerVerb !== 'listen') throw new LineError(`${verb} is a listener setting: put it in a block that starts with listen`, first.start, first.end);
    const transport = draft.header?.transport;
    const p = draft.policy;
    if (verb === 'max-conns') {
      if (transport === 'udp') throw new LineError('max-conns limits connections; UDP has none', first.start, first.end);
      const n = c.word('a number of connections');
      if (!/^\d+$/.test(n.text) || Number(n.text) < 1) throw new LineError('max-conns takes a number ≥ 1', n.start, n.end);
      c.expectEnd();
      p.maxConnections = Number(n.text);
    } else if (verb === 'allow' || verb === 'deny') {
      if (transport === 'unix') throw new LineError(`${verb} filters addresses; Unix socket peers have none`, first.start, first.end);
      if (c.atEnd()) throw new LineError(`${verb} takes addresses or subnets, e.g. ${verb} 127.0.0.1 10.0.0.0/8`, first.start, first.end);
      while (!c.atEnd()) {
        const a = c.word('');
        literal(a);
        atToken(a, () => parseAddressPattern(a.text));
        p[verb].push(a.text);
      }
    } else if (verb === 'idle-timeout') {
      if (transport === 'udp') throw new LineError('idle-timeout closes idle connections; UDP has none', first.start, first.end);
      p.idleTimeoutMs = this.duration(c);
      c.expectEnd();
    } else {
      if (transport !== 'unix') throw new LineError('remove-stale is for listen unix: it removes a stale socket file', first.start, first.end);
      c.expectEnd();
      p.removeStale = true;
    }
  }

  /** A UDP block's `broadcast` or `join GROUP [IFACE]` line. */
  private udpSetting(verb: string, c: LineCursor, draft: BlockDraft, first: Token): void {
    if (draft.header && draft.header.transport !== 'udp') throw new LineError(`${verb} is a UDP setting: put it in a block that starts with connect udp or listen udp`, first.start, first.end);
    if (!draft.headerVerb) throw new LineError(`${verb} is a UDP setting: put it in a block that starts with connect udp or listen udp`, first.start, first.end);
    if (draft.headerVerb === 'use') throw new LineError(`${verb} belongs to the connect udp block that opens the connection, not to use`, first.start, first.end);
    if (verb === 'broadcast') {
      c.expectEnd();
      draft.udp.broadcast = true;
      return;
    }
    if (draft.headerVerb !== 'listen') throw new LineError('join is a listener setting: a listen udp block joins a multicast group to receive from it', first.start, first.end);
    const g = c.word('a multicast group, e.g. 239.1.2.3');
    if (!isMulticast(g.text)) throw new LineError(`"${g.text}" is not a multicast group (224.0.0.0/4 or ff00::/8)`, g.start, g.end);
    const iface = c.optionalWord();
    if (iface && !isIP(iface.text)) throw new LineError(`"${iface.text}" is not an interface address, e.g. 127.0.0.1`, iface.start, iface.end);
    c.expectEnd();
    draft.udp.groups.push({ group: g.text, ...(iface ? { iface: iface.text } : {}) });
  }

  /** A TLS block's setting line. */
  private tlsSetting(verb: string, c: LineCursor, draft: BlockDraft, first: Token): void {
    if (draft.header?.transport !== 'tls' && !(draft.headerVerb && !draft.header)) {
      throw new LineError(`${verb} is a TLS setting: put it in a block that starts with connect tls or listen tls`, first.start, first.end);
    }
    if (draft.headerVerb === 'use') throw new LineError(`${verb} belongs to the connect tls block that opens the connection, not to use`, first.start, first.end);
    const listen = draft.headerVerb === 'listen';
    const clientOnly = ['insecure', 'ca', 'servername'];
    const serverOnly = ['cert', 'key', 'self-signed'];
    if (listen && clientOnly.includes(verb)) throw new LineError(`${verb} is a client setting (connect tls); a listener uses cert, key or self-signed`, first.start, first.end);
    if (!listen && serverOnly.includes(verb)) throw new LineError(`${verb} is a listener setting (listen tls)`, first.start, first.end);
    const t = draft.tls;
    if (verb === 'insecure' || verb === 'self-signed') {
      c.expectEnd();
      if (verb === 'insecure') {
        t.insecure = true;
        this.error('insecure: the server certificate is not verified', this.line, first.start, first.end, 'warning');
      } else t.selfSigned = true;
    } else if (verb === 'alpn') {
      const protocols: string[] = [];
      while (!c.atEnd()) protocols.push(literal(c.word('')));
      if (protocols.length === 0) throw new LineError('alpn takes protocol names, e.g. alpn h2 http/1.1', first.start, first.end);
      t.alpn = protocols;
    } else if (verb === 'servername') {
      t.servername = literal(c.word('a host name'));
      c.expectEnd();
    } else {
      const w = c.word('a file path');
      c.expectEnd();
      t[verb as 'ca' | 'cert' | 'key'] = this.template(w.text, w.start, this.line);
    }
  }

  /** Where the next step goes: the innermost open repeat, or the block. */
  private currentSteps(draft: BlockDraft): Step[] {
    return draft.repeats[draft.repeats.length - 1]?.steps ?? draft.steps;
  }

  private closeRepeat(draft: BlockDraft): void {
    const r = draft.repeats.pop();
    if (!r) return;
    if (r.steps.length === 0) this.diagnostics.push({ severity: 'warning', message: 'this repeat has no steps', range: r.range });
    this.currentSteps(draft).push({ kind: 'repeat', count: r.count, ...(r.everyMs !== undefined ? { everyMs: r.everyMs } : {}), steps: r.steps, range: r.range, source: r.source });
  }

  /** `use NAME`: the kept connection of an earlier `connect … as NAME keep` block. */
  private useHeader(c: LineCursor, source: string, start: number): Header {
    const n = c.word('the name of a kept connection');
    c.expectEnd();
    const known = this.names.get(n.text);
    if (!known || known.kind !== 'connection') {
      throw new LineError(`no connection named "${n.text}": an earlier block must say connect … as ${n.text} keep`, n.start, n.end);
    }
    if (!known.keep) throw new LineError(`connection "${n.text}" closes at the end of its block: add keep to its connect line`, n.start, n.end);
    return { kind: 'use', transport: known.transport, target: { parts: [{ text: n.text }], range: this.range(n.start, n.end) }, name: n.text, range: this.range(start, start + source.length), source };
  }

  private variable(raw: string, first: Token): void {
    // A trailing comment (after whitespace) is not part of the value, as on every other line.
    const text = raw.slice(0, new LineCursor(raw).rest().end);
    const m = /^(\s*)@([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.*)$/.exec(text);
    if (!m) throw new LineError('a variable is written @name = value', first.start, raw.length);
    const name = m[2];
    const valueStart = text.length - m[3].length;
    if (this.variables.has(name)) this.error(`variable "${name}" is declared twice; the first value is used`, this.line, first.start, first.end, 'warning');
    else this.variables.set(name, { name, value: this.template(m[3], valueStart, this.line), range: this.range(first.start, text.length) });
  }

  /** Parses `{{name}}` references in `text`, which starts at `column` of `line`. */
  private template(text: string, column: number, line: number): Template {
    const parts: TemplatePart[] = [];
    let i = 0;
    while (i < text.length) {
      const open = text.indexOf('{{', i);
      if (open < 0) {
        parts.push({ text: text.slice(i) });
        break;
      }
      if (open > i) parts.push({ text: text.slice(i, open) });
      const close = text.indexOf('}}', open + 2);
      if (close < 0) throw new LineError('"{{" without "}}"', column + open, column + text.length);
      const name = text.slice(open + 2, close).trim();
      const range: Range = { start: { line, column: column + open }, end: { line, column: column + close + 2 } };
      if (name.startsWith('$')) {
        parts.push({ builtin: parseBuiltin(name, column + open, column + close + 2), range });
        i = close + 2;
        continue;
      }
      if (!/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z]+)?$/.test(name)) {
        throw new LineError(`"${name}" is not a variable name`, column + open, column + close + 2);
      }
      parts.push({ variable: name, range });
      this.references.push({ name, range });
      i = close + 2;
    }
    return { parts, range: new LineSpan(line, column, column + text.length) };
  }

  private header(verb: 'connect' | 'listen', c: LineCursor, source: string, start: number): Header {
    const t = c.word('tcp, udp, unix or tls');
    if (t.text !== 'tcp' && t.text !== 'udp' && t.text !== 'unix' && t.text !== 'tls') {
      throw new LineError(`${verb} takes tcp, udp, unix or tls, not "${t.text}"`, t.start, t.end);
    }
    const transport: BlockTransport = t.text;
    const target = c.word(transport === 'unix' ? 'a socket path' : verb === 'listen' ? 'HOST:PORT or PORT' : 'HOST:PORT');
    const template = this.template(target.text, target.start, this.line);
    if (transport !== 'unix' && template.parts.every((p) => 'text' in p)) {
      this.checkHostPort(verb, target);
    }
    let name: Token | undefined;
    let timeoutMs: number | undefined;
    let keep: Token | undefined;
    while (!c.atEnd()) {
      const kw = c.word('');
      if (kw.text === 'as') {
        const n = c.word('a name after "as"');
        if (!NAME.test(n.text)) throw new LineError(`"${n.text}" is not a name: use letters, digits, _ and -`, n.start, n.end);
        if (this.names.has(n.text)) throw new LineError(`the name "${n.text}" is already taken by an earlier block`, n.start, n.end);
        name = n;
      } else if (kw.text === 'keep' && verb === 'connect') {
        keep = kw;
      } else if (kw.text === 'timeout' && verb === 'connect') {
        if (transport === 'udp') throw new LineError('a UDP connect sends nothing and does not wait; put the timeout on recv', kw.start, kw.end);
        timeoutMs = this.duration(c);
      } else {
        throw new LineError(`unexpected "${kw.text}" (${verb === 'listen' ? 'expected "as NAME"' : 'expected "timeout DURATION", "as NAME" or "keep"'})`, kw.start, kw.end);
      }
    }
    if (keep && !name) throw new LineError('keep needs a name for later blocks: connect … as NAME keep', keep.start, keep.end);
    if (name) this.names.set(name.text, { kind: verb === 'listen' ? 'listener' : 'connection', transport, keep: Boolean(keep) });
    return {
      kind: verb,
      transport,
      target: template,
      ...(name ? { name: name.text } : {}),
      ...(keep ? { keep: true } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      range: this.range(start, start + source.length),
      source,
    };
  }

  private checkHostPort(verb: 'connect' | 'listen', target: Token): void {
    const text = verb === 'listen' && /^:?\d+$/.test(target.text) ? `127.0.0.1:${target.text.replace(':', '')}` : target.text;
    try {
      const { host, port } = parseHostPort(text);
      if (verb === 'connect' && port === 0) throw new LineError('cannot connect to port 0', target.start, target.end);
      if (verb === 'listen' && (host === '0.0.0.0' || host === '::')) {
        this.error(`listening on ${host} accepts connections from other machines; 127.0.0.1 keeps the listener on this one`, this.line, target.start, target.end, 'warning');
      }
      if (verb === 'listen' && !isIP(host) && host !== 'localhost') {
        this.error(`a listener binds an address; "${host}" is resolved to its first address`, this.line, target.start, target.end, 'warning');
      }
    } catch (err) {
      if (err instanceof SocketLabError) throw new LineError(err.message, target.start, target.end);
      throw err;
    }
  }

  private duration(c: LineCursor): number {
    const d = c.word('a duration such as 2s or 500ms');
    const ms = parseDuration(d.text);
    if (ms === undefined) throw new LineError(`"${d.text}" is not a duration: write 2s, 500ms or 1m`, d.start, d.end);
    return ms;
  }

  private optionalTimeout(c: LineCursor): number | undefined {
    if (c.atEnd()) return undefined;
    const kw = c.word('');
    if (kw.text !== 'timeout') throw new LineError(`unexpected "${kw.text}" (expected "timeout DURATION")`, kw.start, kw.end);
    const ms = this.duration(c);
    c.expectEnd();
    return ms;
  }

  /** Parses a payload: `"text"`, `hex …`, or `<<TAG` (a heredoc read from the following lines). */
  private payload(c: LineCursor, stopAtTimeout = false): Payload {
    const ch = c.peek();
    if (ch === '"') {
      const q = c.quoted();
      const template = this.template(q.text, q.start, this.line);
      for (const part of template.parts) {
        if ('text' in part) {
          atToken({ start: q.start - 1, end: q.end + 1 }, () => checkEscapes(part.text));
        }
      }
      return { kind: 'text', template };
    }
    if (c.text.startsWith('<<', c.pos)) {
      const t = c.word('a heredoc tag');
      const tag = t.text.slice(2);
      if (!NAME.test(tag)) throw new LineError(`a heredoc is written <<TAG, e.g. <<END`, t.start, t.end);
      const line = this.line;
      const payload: { kind: 'heredoc'; lines: Template[]; range: Range } = { kind: 'heredoc', lines: [], range: this.range(t.start, t.end) };
      this.heredoc = {
        tag,
        line,
        start: t.start,
        end: t.end,
        resolve: (lines, endLine) => {
          payload.lines = lines;
          payload.range = { start: { line, column: t.start }, end: { line: endLine, column: this.lines[endLine]?.length ?? 0 } };
        },
      };
      return payload;
    }
    const w = c.word('a payload: "text", hex 47 45 54, base64 R0VU, file PATH or <<END');
    if (w.text === 'file') {
      const path = c.word('a file path after "file"');
      return { kind: 'file', template: this.template(path.text, path.start, this.line) };
    }
    if (w.text === 'hex' || w.text === 'base64') {
      const digits: Token[] = [];
      while (!c.atEnd()) {
        const save = c.pos;
        const d = c.word('');
        if (stopAtTimeout && d.text === 'timeout') {
          c.pos = save;
          break;
        }
        digits.push(d);
      }
      const kind = w.text;
      if (digits.length === 0) throw new LineError(kind === 'hex' ? 'hex needs digits, e.g. hex 47 45 54' : 'base64 needs text, e.g. base64 R0VUIC8=', w.start, w.end);
      const start = digits[0].start;
      const end = digits[digits.length - 1].end;
      const text = c.text.slice(start, end);
      const template = this.template(text, start, this.line);
      if (template.parts.every((p) => 'text' in p)) {
        atToken({ start, end }, () => (kind === 'hex' ? decodeHex(text) : decodeBase64(text)));
      }
      return { kind, template };
    }
    throw new LineError(`a payload is quoted ("${w.text}"), hex 47 45 54, base64 R0VU, file PATH or a heredoc (<<END)`, w.start, w.end);
  }

  private matcher(c: LineCursor): Matcher {
    const ch = c.peek();
    if (ch === '/') {
      const r = c.regex();
      return { kind: 'regex', source: r.source, flags: r.flags };
    }
    if (/^error(\s|$)/.test(c.text.slice(c.pos))) {
      c.word('error');
      let code: string | undefined;
      if (!c.atEnd() && c.peek() !== '"' && c.peek() !== '/') {
        const t = c.word('an error code');
        if (!/^[A-Z][A-Z0-9_]+$/.test(t.text)) throw new LineError(`"${t.text}" is not an error code such as ECONNREFUSED; a message pattern is "text" or /regex/`, t.start, t.end);
        code = t.text;
      }
      if (c.atEnd()) return { kind: 'error', ...(code ? { code } : {}) };
      let pattern: Matcher;
      if (c.peek() === '/') pattern = { kind: 'regex', ...pick(c.regex()) };
      else if (c.peek() === '"') pattern = { kind: 'contains', payload: this.payload(c) };
      else {
        const t = c.word('');
        throw new LineError(`after expect error${code ? ` ${code}` : ''}, a message pattern is "text" or /regex/`, t.start, t.end);
      }
      return { kind: 'error', ...(code ? { code } : {}), pattern };
    }
    return { kind: 'contains', payload: this.payload(c) };
  }

  private step(verb: string, c: LineCursor, draft: BlockDraft, first: Token): StepBody {
    const transport = draft.header?.transport;
    switch (verb) {
      case 'send': {
        const payload = this.payload(c);
        c.expectEnd();
        return { kind: 'send', payload };
      }
      case 'recv': {
        if (c.atEnd()) return { kind: 'recv', mode: 'chunk' };
        const save = c.pos;
        const w = c.word('');
        if (/^\d+$/.test(w.text)) {
          const max = Number(w.text);
          if (max < 1) throw new LineError('recv N needs N ≥ 1', w.start, w.end);
          const timeoutMs = this.optionalTimeout(c);
          return { kind: 'recv', mode: 'bytes', max, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
        }
        if (w.text === 'until' || w.text === 'all' || w.text === 'line' || w.text === 'exactly') {
          if (transport === 'udp') throw new LineError(`recv ${w.text} is for streams; a UDP recv returns one datagram`, w.start, w.end);
          if (w.text === 'line') {
            const timeoutMs = this.optionalTimeout(c);
            return { kind: 'recv', mode: 'line', ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
          }
          if (w.text === 'exactly') {
            const n = c.word('a byte count after "exactly"');
            if (!/^\d+$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > RECV_MAX_BYTES) throw new LineError(`recv exactly N needs a byte count from 1 to ${RECV_MAX_BYTES}`, n.start, n.end);
            const timeoutMs = this.optionalTimeout(c);
            return { kind: 'recv', mode: 'exactly', max: Number(n.text), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
          }
          if (w.text === 'all') {
            const timeoutMs = this.optionalTimeout(c);
            return { kind: 'recv', mode: 'all', ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
          }
          const until = this.payload(c, true);
          const timeoutMs = this.optionalTimeout(c);
          return { kind: 'recv', mode: 'until', until, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
        }
        if (w.text === 'timeout') {
          c.pos = save;
          const timeoutMs = this.optionalTimeout(c);
          return { kind: 'recv', mode: 'chunk', ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
        }
        throw new LineError(`recv takes N, exactly N, line, until PAYLOAD, all, or nothing; not "${w.text}"`, w.start, w.end);
      }
      case 'expect': {
        const matcher = this.matcher(c);
        c.expectEnd();
        const producesIn = (steps: readonly Step[]): boolean => steps.some((s) => s.kind === 'recv' || LOOKUP_VERBS.has(s.kind) || (s.kind === 'repeat' && producesIn(s.steps)));
        const produces = producesIn(draft.steps) || draft.repeats.some((r) => producesIn(r.steps));
        if (matcher.kind !== 'error' && !produces) {
          this.error('expect checks the last receive or lookup, and none comes before it in this block', this.line, first.start, first.end, 'warning');
        }
        return { kind: 'expect', matcher };
      }
      case 'close':
        c.expectEnd();
        return { kind: 'close' };
      case 'echo': {
        if (draft.headerVerb !== 'listen') throw new LineError('echo is a listener step: it sends back what a peer sends', first.start, first.end);
        const timeoutMs = this.optionalTimeout(c);
        return { kind: 'echo', ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
      }
      case 'shutdown':
        if (transport === 'udp') throw new LineError('shutdown half-closes a stream (TCP, Unix, TLS); UDP has no connection to close', first.start, first.end);
        c.expectEnd();
        return { kind: 'shutdown' };
      case 'wait': {
        const ms = this.duration(c);
        c.expectEnd();
        return { kind: 'wait', ms };
      }
      case 'hostname':
        c.expectEnd();
        return { kind: 'hostname' };
      case 'resolve': {
        const n = c.word('a name to resolve');
        const t = c.word(`a record type: ${RECORD_TYPES.join(', ')}`);
        const recordType = t.text.toUpperCase() as RecordType;
        if (!RECORD_TYPES.includes(recordType)) throw new LineError(`"${t.text}" is not a record type: ${RECORD_TYPES.join(', ')}`, t.start, t.end);
        let server: Template | undefined;
        if (!c.atEnd()) {
          const s = c.word('@SERVER');
          if (!s.text.startsWith('@') || s.text.length === 1) throw new LineError('the server is written @ADDRESS[:PORT], e.g. @127.0.0.1:5353', s.start, s.end);
          server = this.template(s.text.slice(1), s.start + 1, this.line);
          if (/^[0-9a-fA-F:]*::[0-9a-fA-F:]*:\d{2,5}$/.test(s.text.slice(1))) {
            const [, addr, port] = /^(.*):(\d+)$/.exec(s.text.slice(1)) ?? [];
            this.error(`${s.text} is the IPv6 address ${s.text.slice(1)} on port 53; for ${addr} port ${port} write @[${addr}]:${port}`, this.line, s.start, s.end, 'warning');
          }
          if (server.parts.every((p) => 'text' in p)) {
            atToken(s, () => parseNameServer(s.text.slice(1)));
          }
        }
        c.expectEnd();
        return { kind: 'resolve', target: this.template(n.text, n.start, this.line), recordType, ...(server ? { server } : {}) };
      }
      case 'pton': {
        const t = c.word('an IPv4 or IPv6 address');
        c.expectEnd();
        return { kind: 'pton', target: this.template(t.text, t.start, this.line) };
      }
      case 'ntop': {
        const t = c.rest();
        if (!t.text) throw new LineError('ntop takes 4 or 16 bytes in hex, e.g. ntop 00000000000000000000000000000001', first.end, first.end + 1);
        const target = this.template(t.text, t.start, this.line);
        if (target.parts.every((p) => 'text' in p)) checkPackedHex(t, [4, 16], 'ntop 00000000000000000000000000000001');
        return { kind: 'ntop', target };
      }
      case 'lookup': {
        const t = c.word('a host name or address');
        c.expectEnd();
        return { kind: 'lookup', target: this.template(t.text, t.start, this.line) };
      }
      case 'service': {
        const t = c.word('a service name or port');
        let proto: 'tcp' | 'udp' = 'tcp';
        const p = c.optionalWord();
        if (p) {
          if (p.text !== 'tcp' && p.text !== 'udp') throw new LineError(`the protocol is tcp or udp, not "${p.text}"`, p.start, p.end);
          proto = p.text;
        }
        c.expectEnd();
        return { kind: 'service', target: this.template(t.text, t.start, this.line), proto };
      }
      case 'aton': {
        const t = c.word('an IPv4 address');
        c.expectEnd();
        const target = this.template(t.text, t.start, this.line);
        return { kind: 'aton', target };
      }
      case 'ntoa': {
        const t = c.rest();
        if (!t.text) throw new LineError('ntoa takes 4 bytes in hex, e.g. ntoa 7f000001', first.end, first.end + 1);
        const target = this.template(t.text, t.start, this.line);
        if (target.parts.every((p) => 'text' in p)) checkPackedHex(t, [4], 'ntoa 7f000001');
        return { kind: 'ntoa', target };
      }
    }
    throw new LineError(`unknown statement "${verb}"`, first.start, first.end);
  }

  /** Every `{{name}}` must name a file variable or a listener (`{{name.port}}` too). */
  private checkReferences(): void {
    for (const [name, what] of this.names) {
      const v = this.variables.get(name);
      if (v) this.diagnostics.push({ severity: 'error', message: `"${name}" names both a variable and a ${what.kind}; rename one`, range: v.range });
    }
    for (const ref of this.references) {
      const [base, field] = ref.name.split('.');
      const named = this.names.get(base);
      if (named?.kind === 'connection') {
        this.diagnostics.push({ severity: 'error', message: `"${base}" is a connection: use it in a block that starts with use ${base}`, range: ref.range });
        continue;
      }
      if (named) {
        if (field === undefined || ['host', 'port', 'path', 'address'].includes(field)) continue;
        this.diagnostics.push({ severity: 'error', message: `a listener has host, port, path and address, not "${field}"`, range: ref.range });
        continue;
      }
      if (this.variables.has(base)) {
        if (field !== undefined) this.diagnostics.push({ severity: 'error', message: `"${base}" is a variable: write {{${base}}}; only listeners have fields such as .port`, range: ref.range });
        continue;
      }
      this.diagnostics.push({ severity: 'error', message: `unknown variable "${base}": declare it with @${base} = value, or name a listener with "as ${base}"`, range: ref.range });
    }
    this.diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
  }
}

/**
 * Parses a `.sock` file.
 *
 * @param text the file's contents (LF or CRLF line endings)
 * @returns the blocks, the variables and every diagnostic; never throws for bad input
 */
export function parseSock(text: string): SockFile {
  return new Parser(text).parse();
}

/** True when the file has at least one error (warnings do not count). */
export function hasErrors(file: SockFile): boolean {
  return file.diagnostics.some((d) => d.severity === 'error');
}
