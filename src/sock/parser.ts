/**
 * The `.sock` parser: text in, a {@link SockFile} out, with every error and warning found. It never
 * throws on bad input: a malformed line becomes a diagnostic and parsing goes on with the next
 * line. The language is specified in `docs/sock-language.md`.
 *
 * Speed (issue 3: a 10,000-block file in under 20 ms). The editor parses the whole file on every
 * change, for diagnostics and CodeLens, and needs every diagnostic and every block's title and
 * range, not the blocks' step nodes. So a parse is two kinds of pass over one grammar
 * ({@link Parser}): {@link parseSock} is the checking pass, which reads every line by UTF-16 code
 * unit from a typed-array copy of the text ({@link SourceText.codes}) with one reused cursor,
 * checks every statement and finds every diagnostic, but makes no header, step or template nodes;
 * a block builds those the first time a consumer asks it for its header, steps or settings, by
 * reading its own lines again with nodes on, and keeps them. The
 * checking pass and a block built on demand give exactly what one eager pass gives
 * ({@link parseSockEagerly}; a property test compares them).
 *
 * The nodes are kept small, as the garbage collector copies what survives: a statement keeps its
 * `range` and `source` as two offsets into the text ({@link Statement}), a template without `{{…}}`
 * its literal run ({@link TextTemplate}), a block its title and range ({@link BlockNode}); each is
 * made when read, the same value every time (lines and columns come from the table of line
 * starts, {@link SourceText}). Short strings a file repeats are shared ({@link Interner}), and a
 * block without policy, TLS or UDP lines shares one frozen empty settings object. Every node's
 * `toJSON` gives the plain shape.
 */
import { isIP } from 'node:net';
import { DEFAULT_BIND_HOST, isWildcardAddress, parseHostPort, parseListenerHostPort } from '../net/address';
import { isMulticast } from '../net/datagram';
import { parseNameServer, RECORD_TYPES, type RecordType } from '../net/dnsQuery';
import { parseAddressPattern } from '../net/policy';
import { regexGroupCount, regexGroupNames, regexProblem, type RegexProblem } from '../net/regex';
import { RECV_MAX_BYTES } from '../net/stream';
import { checkEscapes, decodeBase64, decodeHex } from '../net/payload';
import { SocketLabError } from '../net/errors';
import type { Amount, Block, BlockTransport, Builtin, Comparison, Diagnostic, Header, ListenerPolicy, Matcher, Payload, Position, Range, SockFile, Step, Template, TemplatePart, TlsSettings, UdpSettings, Variable } from './ast';
import { keywordSlotAt, VERBS, type VerbSpec } from './lang/verbs';

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

/** A block's range, from column 0 of its first line to the end of its last line, as three numbers. */
class BlockSpan implements Range {
  constructor(
    private readonly startLine: number,
    private readonly endLine: number,
    private readonly endColumn: number,
  ) {}

  get start(): Position {
    return { line: this.startLine, column: 0 };
  }

  get end(): Position {
    return { line: this.endLine, column: this.endColumn };
  }

  toJSON(): Range {
    return { start: this.start, end: this.end };
  }
}

/**
 * The text being parsed and the offset where each of its lines starts, so that a node keeps its
 * place as two offsets and gives its line and columns when asked. One per parse, shared by its
 * nodes; lines are added as the parse reaches them, so a node's line is always known.
 */
class SourceText {
  lineStarts = new Int32Array(256);
  lines = 0;
  /**
   * The text's UTF-16 code units, which the parser reads instead of `charCodeAt`: a typed array
   * read is the cheaper of the two in V8, and the parse of the benchmark's 10,000-block file took
   * a quarter less time (issue 3). Copying the text costs about 0.2 ms per megabyte and keeps 2
   * bytes per character while the parse's blocks live.
   */
  readonly codes: Uint16Array;

  constructor(readonly text: string) {
    const units = Buffer.from(text, 'utf16le');
    this.codes = new Uint16Array(units.buffer, units.byteOffset, text.length);
  }

  /** Records that line `line` starts at offset `start`. */
  addLine(line: number, start: number): void {
    if (line >= this.lineStarts.length) {
      const grown = new Int32Array(this.lineStarts.length * 2);
      grown.set(this.lineStarts);
      this.lineStarts = grown;
    }
    this.lineStarts[line] = start;
    if (line >= this.lines) this.lines = line + 1;
  }

  /** The line that holds offset `offset` (binary search). */
  lineOf(offset: number): number {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = this.lines - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The range of `text[from, to)`, within one line. */
  span(from: number, to: number): Range {
    const line = this.lineOf(from);
    const start = from - this.lineStarts[line];
    return new LineSpan(line, start, start + to - from);
  }
}

/**
 * Where the statement just parsed is: the offsets of its source text, `[from, to)`. The parser
 * keeps one and refills it for each statement; each statement node copies the numbers.
 */
class StatementAt {
  file = new SourceText('');
  from = 0;
  to = 0;

  range(): Range {
    return this.file.span(this.from, this.to);
  }

  copy(): StatementAt {
    const at = new StatementAt();
    at.file = this.file;
    at.from = this.from;
    at.to = this.to;
    return at;
  }
}

/**
 * The `range` and `source` of a header or step, kept as two offsets into the file's text: a
 * range object and a sliced string per statement were a third of the tree's objects. Both are
 * made when asked for, from offsets the parse has already read, and are the same values every
 * time; `toJSON` gives the plain shape, keys in the order the AST lists them.
 */
abstract class Statement {
  readonly #file: SourceText;
  readonly #from: number;
  readonly #to: number;

  constructor(at: StatementAt) {
    this.#file = at.file;
    this.#from = at.from;
    this.#to = at.to;
  }

  get range(): Range {
    return this.#file.span(this.#from, this.#to);
  }

  get source(): string {
    return this.#file.text.slice(this.#from, this.#to);
  }

  toJSON(): object {
    return { ...this, range: this.range, source: this.source };
  }
}

class HeaderNode extends Statement {
  declare readonly kind: 'connect' | 'listen' | 'use';
  declare readonly transport: BlockTransport;
  declare readonly target: Template;
  declare readonly name?: string;
  declare readonly keep?: boolean;
  declare readonly timeoutMs?: Amount;

  constructor(at: StatementAt, kind: 'connect' | 'listen' | 'use', transport: BlockTransport, target: Template, name: string | undefined, keep: boolean, timeoutMs: Amount | undefined) {
    super(at);
    this.kind = kind;
    this.transport = transport;
    this.target = target;
    if (name !== undefined) this.name = name;
    if (keep) this.keep = true;
    if (timeoutMs !== undefined) this.timeoutMs = timeoutMs;
  }
}

/** `close`, `shutdown`, `hostname`: a verb alone. */
class BareStep extends Statement {
  declare readonly kind: 'close' | 'shutdown' | 'hostname';

  constructor(at: StatementAt, kind: 'close' | 'shutdown' | 'hostname') {
    super(at);
    this.kind = kind;
  }
}

class SendStep extends Statement {
  declare readonly kind: 'send';
  declare readonly payload: Payload;

  constructor(at: StatementAt, payload: Payload) {
    super(at);
    this.kind = 'send';
    this.payload = payload;
  }
}

class RecvStep extends Statement {
  declare readonly kind: 'recv';
  declare readonly mode: RecvMode;
  declare readonly max?: Amount;
  declare readonly until?: Payload;
  declare readonly timeoutMs?: Amount;

  constructor(at: StatementAt, mode: RecvMode, max: Amount | undefined, until: Payload | undefined, timeoutMs: Amount | undefined) {
    super(at);
    this.kind = 'recv';
    this.mode = mode;
    if (max !== undefined) this.max = max;
    if (until !== undefined) this.until = until;
    if (timeoutMs !== undefined) this.timeoutMs = timeoutMs;
  }
}

class ExpectStep extends Statement {
  declare readonly kind: 'expect';
  declare readonly matcher: Matcher;

  constructor(at: StatementAt, matcher: Matcher) {
    super(at);
    this.kind = 'expect';
    this.matcher = matcher;
  }
}

class CaptureStep extends Statement {
  declare readonly kind: 'capture';
  declare readonly name?: string;
  declare readonly pattern?: { readonly source: string; readonly flags: string };
  declare readonly line?: number;

  constructor(at: StatementAt, name: string | undefined, pattern: { source: string; flags: string } | undefined, line: number | undefined) {
    super(at);
    this.kind = 'capture';
    if (name !== undefined) this.name = name;
    if (pattern !== undefined) this.pattern = pattern;
    if (line !== undefined) this.line = line;
  }
}

class SetStep extends Statement {
  declare readonly kind: 'set';
  declare readonly name: string;
  declare readonly value: Template;

  constructor(at: StatementAt, name: string, value: Template) {
    super(at);
    this.kind = 'set';
    this.name = name;
    this.value = value;
  }
}

class EchoStep extends Statement {
  declare readonly kind: 'echo';
  declare readonly timeoutMs?: Amount;

  constructor(at: StatementAt, timeoutMs: Amount | undefined) {
    super(at);
    this.kind = 'echo';
    if (timeoutMs !== undefined) this.timeoutMs = timeoutMs;
  }
}

class WaitStep extends Statement {
  declare readonly kind: 'wait';
  declare readonly ms: Amount;

  constructor(at: StatementAt, ms: Amount) {
    super(at);
    this.kind = 'wait';
    this.ms = ms;
  }
}

class AwaitStep extends Statement {
  declare readonly kind: 'await';
  declare readonly name: string;
  declare readonly event: 'accepted' | 'datagram' | 'data';
  declare readonly count?: Amount;
  declare readonly timeoutMs?: Amount;

  constructor(at: StatementAt, name: string, event: 'accepted' | 'datagram' | 'data', count: Amount | undefined, timeoutMs: Amount | undefined) {
    super(at);
    this.kind = 'await';
    this.name = name;
    this.event = event;
    if (count !== undefined) this.count = count;
    if (timeoutMs !== undefined) this.timeoutMs = timeoutMs;
  }
}

class RepeatStep extends Statement {
  declare readonly kind: 'repeat';
  declare readonly count: Amount;
  declare readonly everyMs?: Amount;
  declare readonly steps: readonly Step[];
  declare readonly until?: Matcher;

  constructor(at: StatementAt, count: Amount, everyMs: Amount | undefined, steps: readonly Step[], until: Matcher | undefined) {
    super(at);
    this.kind = 'repeat';
    this.count = count;
    if (everyMs !== undefined) this.everyMs = everyMs;
    this.steps = steps;
    if (until !== undefined) this.until = until;
  }
}

class IfStep extends Statement {
  declare readonly kind: 'if';
  declare readonly test: Matcher;
  declare readonly steps: readonly Step[];
  declare readonly otherwise: readonly Step[];

  constructor(at: StatementAt, test: Matcher, steps: readonly Step[], otherwise: readonly Step[]) {
    super(at);
    this.kind = 'if';
    this.test = test;
    this.steps = steps;
    this.otherwise = otherwise;
  }
}

/** `lookup`, `aton`, `ntoa`, `pton`, `ntop`: a verb and its argument. */
class TargetStep extends Statement {
  declare readonly kind: 'lookup' | 'aton' | 'ntoa' | 'pton' | 'ntop';
  declare readonly target: Template;

  constructor(at: StatementAt, kind: 'lookup' | 'aton' | 'ntoa' | 'pton' | 'ntop', target: Template) {
    super(at);
    this.kind = kind;
    this.target = target;
  }
}

class ServiceStep extends Statement {
  declare readonly kind: 'service';
  declare readonly target: Template;
  declare readonly proto: 'tcp' | 'udp';

  constructor(at: StatementAt, target: Template, proto: 'tcp' | 'udp') {
    super(at);
    this.kind = 'service';
    this.target = target;
    this.proto = proto;
  }
}

class ResolveStep extends Statement {
  declare readonly kind: 'resolve';
  declare readonly target: Template;
  declare readonly recordType: RecordType;
  declare readonly server?: Template;

  constructor(at: StatementAt, target: Template, recordType: RecordType, server: Template | undefined) {
    super(at);
    this.kind = 'resolve';
    this.target = target;
    this.recordType = recordType;
    if (server !== undefined) this.server = server;
  }
}

/**
 * A template, or a `{{name}}` / `{{$builtin}}` part of one, whose range is kept as two offsets
 * into the file's text and made when asked for.
 */
abstract class OnLine {
  readonly #file: SourceText;
  readonly #from: number;
  readonly #to: number;

  constructor(file: SourceText, from: number, to: number) {
    this.#file = file;
    this.#from = from;
    this.#to = to;
  }

  get range(): Range {
    return this.#file.span(this.#from, this.#to);
  }

  /** The text the range spans. (Not named `text`: `'text' in part` tells a literal part from the others.) */
  protected spanned(): string {
    return this.#file.text.slice(this.#from, this.#to);
  }

  toJSON(): object {
    return { ...this, range: this.range };
  }
}

class TemplateNode extends OnLine {
  declare readonly parts: readonly TemplatePart[];

  constructor(parts: readonly TemplatePart[], file: SourceText, from: number, to: number) {
    super(file, from, to);
    this.parts = parts;
  }
}

/**
 * A template without `{{…}}`, the usual kind: one literal run that the parse has read and
 * checked. Its `parts` array is made when first asked for and kept, so it is the same array
 * every time.
 */
class TextTemplate extends OnLine {
  #parts: readonly TemplatePart[] | undefined;

  constructor(file: SourceText, from: number, to: number) {
    super(file, from, to);
    this.#parts = undefined;
  }

  get parts(): readonly TemplatePart[] {
    return (this.#parts ??= [{ text: this.spanned() }]);
  }

  override toJSON(): object {
    return { parts: this.parts, range: this.range };
  }
}

class VariablePart extends OnLine {
  declare readonly variable: string;

  constructor(variable: string, file: SourceText, from: number, to: number) {
    super(file, from, to);
    this.variable = variable;
  }
}

class BuiltinPart extends OnLine {
  declare readonly builtin: Builtin;

  constructor(builtin: Builtin, file: SourceText, from: number, to: number) {
    super(file, from, to);
    this.builtin = builtin;
  }
}

/**
 * Short strings that a file repeats (`{{name}}` names, literal runs, regex sources): a slice equal
 * to one made earlier in the same parse is that string again, not another copy. One per parse;
 * 256 slots by the length and the first and last characters, a slot keeping the last string
 * that went to it. (Hashing every character cost more than the copies it saved.)
 */
class Interner {
  private readonly slots = new Array<string>(256).fill('');
  /** Where in the text each slot's string was sliced from, to compare code units with. */
  private readonly at = new Int32Array(256);

  /** `text.slice(from, to)`; `codes` are `text`'s code units, the same text on every call. */
  slice(text: string, codes: Uint16Array, from: number, to: number): string {
    const n = to - from;
    if (n <= 0 || n > 32) return text.slice(from, to);
    const k = (n * 7 + codes[from] * 31 + codes[to - 1]) & 255;
    const s = this.slots[k];
    if (s.length === n) {
      const at = this.at[k];
      let i = 0;
      while (i < n && codes[from + i] === codes[at + i]) i++;
      if (i === n) return s;
    }
    this.at[k] = from;
    return (this.slots[k] = text.slice(from, to));
  }
}

/**
 * A problem at columns `[start, end)` of the current line, thrown from anywhere in a statement's
 * grammar to the line loop, which makes it a diagnostic. Not an `Error`: it never leaves the
 * parser, and an `Error` records a stack trace when made, which made a line with a mistake cost
 * about 20 µs, a hundred times a good line (a file being typed can have thousands).
 */
class LineError {
  constructor(
    readonly message: string,
    readonly start: number,
    readonly end: number,
    /** The word that would fix `[start, end)`, for a "did you mean" hint. */
    readonly replacement?: string,
  ) {}
}

/** A word of the current line, for the less common statements and for error messages. */
interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** Problems found for `/source/flags` literals, by flags then source; `null` for a valid one. */
type RegexChecks = Map<string, Map<string, RegexProblem | null>>;

/** Why `/source/flags` is not a regex the runner's engine (RE2) runs, or `null`; remembered for one parse, as files repeat them. */
function regexProblemOf(checked: RegexChecks, source: string, flags: string): RegexProblem | null {
  let byFlags = checked.get(flags);
  if (byFlags === undefined) checked.set(flags, (byFlags = new Map()));
  let problem = byFlags.get(source);
  if (problem === undefined) {
    problem = regexProblem(source, flags) ?? null;
    byFlags.set(source, problem);
  }
  return problem;
}

/** White space as JavaScript's `\s` and `String.prototype.trim` see it, by character code. */
function isSpace(c: number): boolean {
  if (c < 0xa0) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** True when code units `codes[start, end)` are one or more ASCII digits (`/^\d+$/`). */
function allDigits(codes: Uint16Array, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) if (!isDigit(codes[i])) return false;
  return true;
}

/** `/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z]+)?$/`: a variable name, or a listener name and field. */
function isReferenceName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  let c = name.charCodeAt(0);
  if (!(isLetter(c) || c === 0x5f)) return false;
  let i = 1;
  for (; i < n; i++) {
    c = name.charCodeAt(i);
    if (!(isLetter(c) || isDigit(c) || c === 0x5f || c === 0x2d)) break;
  }
  if (i === n) return true;
  if (c !== 0x2e /* . */ || i + 1 === n) return false;
  for (i++; i < n; i++) if (!isLetter(name.charCodeAt(i))) return false;
  return true;
}

/**
 * Reads the current line of the file word by word, by offsets into the whole text; `#` or `//`
 * after whitespace starts a trailing comment. One cursor serves the whole parse. The last word read
 * is `text[start, stop)`; columns are offsets minus `base`.
 */
class LineCursor {
  text = '';
  /** The text's code units ({@link SourceText.codes}). */
  codes: Uint16Array = new Uint16Array(0);
  /** The offset of the line's column 0. */
  base = 0;
  /** The offset just past the line's last character (a CRLF file's CR excluded). */
  end = 0;
  pos = 0;
  start = 0;
  stop = 0;
  /** The offset just past the last word or string read. */
  lastEnd = 0;
  /** A `/regex/` was read on this line: it splits words differently from {@link skipWord}. */
  usedRegex = false;
  /**
   * Set by {@link quoted}: the string holds a `{`, so it may hold `{{…}}`; it holds an escape that
   * is not one of `\r \n \t \0 \\ \" \xHH`, so the payload codec must judge it.
   */
  sawBrace = false;
  oddEscape = false;
  /** Set by {@link regex}: the flags of the literal read. */
  flags = '';
  /** Shares the regex sources and flags a file repeats. */
  strings = new Interner();

  reset(text: string, codes: Uint16Array, base: number, end: number): void {
    this.text = text;
    this.codes = codes;
    this.base = base;
    this.end = end;
    this.pos = base;
    this.usedRegex = false;
  }

  skipSpace(): void {
    const { codes, end } = this;
    let p = this.pos;
    while (p < end) {
      const c = codes[p];
      // Printable ASCII is the usual case and is never white space.
      if ((c > 32 && c < 0x7f) || !isSpace(c)) break;
      p++;
    }
    this.pos = p;
  }

  /** True at the end of the line or at a trailing comment (`#` or `//` after whitespace). */
  atEnd(): boolean {
    this.skipSpace();
    const { codes, pos } = this;
    if (pos >= this.end) return true;
    const c = codes[pos];
    const commentStart = c === 0x23 /* # */ || (c === 0x2f /* / */ && pos + 1 < this.end && codes[pos + 1] === 0x2f);
    return commentStart && (pos === this.base || isSpace(codes[pos - 1]));
  }

  /** The code of the next character after whitespace, or -1 at the end of the line (comments not considered). */
  peek(): number {
    this.skipSpace();
    return this.pos < this.end ? this.codes[this.pos] : -1;
  }

  /** Reads the next word into `[start, stop)`; a `{{…}}` inside it is part of it even with spaces (`{{$env NAME}}`). */
  next(what: string): void {
    if (this.atEnd()) throw new LineError(`expected ${what}`, this.pos - this.base, this.pos - this.base + 1);
    this.start = this.pos;
    this.skipWord();
    this.stop = this.lastEnd = this.pos;
  }

  /** The next word as a {@link Token}. */
  word(what: string): Token {
    this.next(what);
    return this.token();
  }

  /** The last word read as a {@link Token}. */
  token(): Token {
    return { text: this.text.slice(this.start, this.stop), start: this.start - this.base, end: this.stop - this.base };
  }

  /** The last word read. */
  slice(): string {
    return this.text.slice(this.start, this.stop);
  }

  /** True when the last word read is `word`. */
  is(word: string): boolean {
    const { codes, start } = this;
    const n = word.length;
    if (this.stop - start !== n || codes[start] !== word.charCodeAt(0)) return false;
    for (let i = 1; i < n; i++) if (codes[start + i] !== word.charCodeAt(i)) return false;
    return true;
  }

  skipWord(): void {
    const { codes, end } = this;
    let p = this.pos;
    if (codes[p] === 0x22 /* " */) {
      // A quoted string is one word, spaces and # included.
      p++;
      while (p < end) {
        const c = codes[p];
        if (c === 0x22) break;
        p += c === 0x5c ? 2 : 1;
      }
      this.pos = Math.min(p + 1, end);
      return;
    }
    while (p < end) {
      const c = codes[p];
      // Printable ASCII below `{` is the usual case: neither white space nor the start of `{{`.
      if (c > 32 && c < 0x7b) {
        p++;
      } else if (c === 0x7b /* { */ && p + 1 < end && codes[p + 1] === 0x7b) {
        const close = findPair(codes, p + 2, end, 0x7d /* } */);
        p = close < 0 ? end : close + 2;
      } else if (isSpace(c)) {
        break;
      } else {
        p++;
      }
    }
    this.pos = p;
  }

  optionalWord(): Token | undefined {
    return this.atEnd() ? undefined : this.word('a word');
  }

  /** A `"…"` string: `[start, stop)` is the raw text between the quotes (escapes still encoded). */
  quoted(): void {
    this.skipSpace();
    const { codes, end } = this;
    const open = this.pos;
    let brace = false;
    let odd = false;
    let i = open + 1;
    while (i < end) {
      const c = codes[i];
      if (c === 0x22) break;
      if (c === 0x5c) {
        // The escapes of checkEscapes (src/net/payload.ts); any other goes to it for its message.
        const e = codes[i + 1];
        const simple = e === 0x72 /* r */ || e === 0x6e /* n */ || e === 0x74 /* t */ || e === 0x30 /* 0 */ || e === 0x5c || e === 0x22;
        if (!simple && !(e === 0x78 /* x */ && isHexDigit(codes[i + 2]) && isHexDigit(codes[i + 3]))) odd = true;
        i += 2;
      } else {
        if (c === 0x7b) brace = true;
        i++;
      }
    }
    if (i >= end) throw new LineError('unterminated string: add the closing "', open - this.base, end - this.base);
    this.pos = this.lastEnd = i + 1;
    this.start = open + 1;
    this.stop = i;
    this.sawBrace = brace;
    this.oddEscape = odd;
  }

  /** A `/regex/flags` literal: returns its source; {@link flags} holds its flags. */
  regex(checked: RegexChecks): string {
    this.skipSpace();
    const { text, codes, end } = this;
    const open = this.pos;
    let i = open + 1;
    while (i < end) {
      const c = codes[i];
      if (c === 0x2f) break;
      i += c === 0x5c ? 2 : 1;
    }
    if (i >= end) throw new LineError('unterminated regular expression: add the closing /', open - this.base, end - this.base);
    const source = this.strings.slice(text, codes, open + 1, i);
    let j = i + 1;
    while (j < end) {
      const c = codes[j];
      if (c < 97 || c > 122) break;
      j++;
    }
    const flags = j === i + 1 ? '' : this.strings.slice(text, codes, i + 1, j);
    const problem = regexProblemOf(checked, source, flags);
    if (problem) {
      // The span RE2 refused, within the literal: its source starts just after the opening slash.
      const at = open + 1 - this.base;
      throw new LineError(`invalid regular expression: ${problem.message}`, at + problem.start, Math.min(at + problem.end, j - this.base));
    }
    this.pos = this.lastEnd = j;
    this.usedRegex = true;
    this.flags = flags;
    return source;
  }

  /** The offset just past the last word before a trailing comment or the end of the line. */
  restEnd(): number {
    this.skipSpace();
    let end = this.pos;
    while (!this.atEnd()) {
      this.skipWord();
      end = this.pos;
    }
    this.lastEnd = end;
    return end;
  }

  /** Everything up to a trailing comment or the end of the line, trimmed. */
  rest(): Token {
    this.skipSpace();
    const start = this.pos;
    const end = this.restEnd();
    return { text: this.text.slice(start, end), start: start - this.base, end: end - this.base };
  }

  expectEnd(): void {
    if (!this.atEnd()) {
      this.next('');
      throw new LineError(`unexpected "${this.slice()}"`, this.start - this.base, this.stop - this.base);
    }
  }
}

/** The offset of the first `cc` pair (`{{` or `}}`) wholly inside `text[from, end)`, or -1. */
function findPair(codes: Uint16Array, from: number, end: number, cc: number): number {
  for (let i = from; i + 1 < end; i++) {
    if (codes[i] === cc) {
      if (codes[i + 1] === cc) return i;
      i++; // the next character is not `cc`, so no pair starts there either
    }
  }
  return -1;
}

/**
 * Turns a {@link SocketLabError} of the socket core (bad address, bad payload) into a
 * {@link LineError} over columns `[start, end)`; anything else is thrown on.
 */
function errorAt(err: unknown, start: number, end: number): LineError {
  if (err instanceof SocketLabError) return new LineError(err.message.replace(/ at offset \d+/, ''), start, end);
  throw err;
}

/** Checks that literal hex is a packed address of one of the allowed lengths (ntoa: 4; ntop: 4 or 16). */
function checkPackedHex(t: Token, lengths: readonly number[], example: string): void {
  let n: number;
  try {
    n = decodeHex(t.text).length;
  } catch (err) {
    throw errorAt(err, t.start, t.end);
  }
  if (!lengths.includes(n)) throw new LineError(`${example.split(' ')[0]} takes exactly ${lengths.join(' or ')} bytes, not ${n}, e.g. ${example}`, t.start, t.end);
}

/** The text of a token that must be written out: `{{…}}` is not expanded in settings lines. */
function literal(t: Token): string {
  if (t.text.includes('{{')) throw new LineError('variables are not expanded here: write the value itself', t.start, t.end);
  return t.text;
}

/** True when every part of the template is literal text (no `{{…}}`). */
function allText(template: Template): boolean {
  if (template === CHECKED_TEXT || template instanceof TextTemplate) return true;
  if (template === CHECKED_REFERENCES) return false;
  for (const p of template.parts) if (!('text' in p)) return false;
  return true;
}

/**
 * True when the target `text[start, end)` of a `connect udp` names the broadcast address: its host
 * is written out (even when the port is a variable: `<broadcast>:{{rx.port}}`) and is
 * 255.255.255.255 or `<broadcast>`.
 */
function isBroadcastTarget(text: string, codes: Uint16Array, start: number, end: number): boolean {
  const open = findPair(codes, start, end, 0x7b);
  if (open === start) return false;
  const lead = text.slice(start, open < 0 ? end : open);
  const host = lead.slice(0, lead.lastIndexOf(':'));
  return host === '255.255.255.255' || host === '<broadcast>';
}

/** Three rows of {@link distanceWithin}'s table, reused: verbs and keywords are short, and longer words never reach it. */
const DISTANCE_ROWS = [new Int32Array(32), new Int32Array(32), new Int32Array(32)];

/**
 * The edit distance of `a` and `b` (optimal string alignment: insert, delete, replace, or swap two
 * neighbours, so `lien` is one edit from `line`), or `limit + 1` when it is over `limit`; for
 * "did you mean" hints. Banded: a row computes only the cells within `limit` of its diagonal, as
 * no other cell can be within the limit. `b` is at most 30 characters.
 */
function distanceWithin(a: string, b: string, limit: number): number {
  const n = a.length;
  const m = b.length;
  const over = limit + 1;
  if (Math.abs(n - m) > limit || m > 30) return over;
  let [before, prev, row] = DISTANCE_ROWS;
  for (let j = 0; j <= m && j <= over; j++) prev[j] = j;
  let prevBest = 0;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - limit);
    const hi = Math.min(m, i + limit);
    // The cells just outside the band, which the next rows read, count as over the limit.
    row[lo - 1] = i <= limit ? i : over;
    if (hi < m) row[hi + 1] = over;
    let best = row[lo - 1];
    const ca = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      const cb = b.charCodeAt(j - 1);
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca === cb ? 0 : 1));
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) d = Math.min(d, before[j - 2] + 1);
      if (d > over) d = over;
      row[j] = d;
      if (d < best) best = d;
    }
    // Every way on goes through this row or the one before it: once both are over the limit, so is the distance.
    if (best > limit && prevBest > limit) return over;
    prevBest = best;
    const spare = before;
    before = prev;
    prev = row;
    row = spare;
  }
  return Math.min(prev[m], over);
}

/**
 * The word of `words` closest to `word` (the first of the closest), or `''` when none is near: at
 * most 2 edits apart, 1 when both are 3 characters or fewer (`x` is not a near miss of `lf`).
 */
function closestWord(words: readonly string[], word: string): string {
  let hint = '';
  let best = 3;
  for (const w of words) {
    const limit = Math.min(best - 1, word.length <= 3 && w.length <= 3 ? 1 : 2);
    if (limit < 0) break;
    const d = distanceWithin(word, w, limit);
    if (d <= limit && d < best) {
      hint = w;
      best = d;
    }
  }
  return hint;
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
 * The longest duration a `.sock` file or the CLI may give: 2,147,483,647 ms (about 24.8 days),
 * the longest delay Node's timers keep (a longer one fires after 1 ms, see `setTimeout`).
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** The message for a duration past {@link MAX_DURATION_MS}. */
export function durationTooLong(text: string): string {
  return `${text} is too long: a duration is at most ${MAX_DURATION_MS} ms (about 24.8 days, 35791m)`;
}

/**
 * Parses a duration: `500ms`, `2s`, `1.5s`, `1m`.
 * @returns milliseconds, or `undefined` when `text` is not a duration; the caller checks {@link MAX_DURATION_MS}
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const scale = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000;
  return Math.round(Number(m[1]) * scale);
}

/** {@link parseDuration} of `text[start, end)`, without a slice for the usual whole numbers (`2s`, `500ms`). */
function durationAt(text: string, codes: Uint16Array, start: number, end: number): number | undefined {
  let i = start;
  let n = 0;
  while (i < end && i - start < 15 && isDigit(codes[i])) n = n * 10 + (codes[i++] - 48);
  const unit = end - i;
  if (i > start && (unit === 1 || unit === 2)) {
    const u = codes[i];
    if (unit === 2 && u === 0x6d /* m */ && codes[i + 1] === 0x73 /* s */) return n;
    if (unit === 1 && u === 0x73) return n * 1000;
    if (unit === 1 && u === 0x6d) return n * 60_000;
  }
  return parseDuration(text.slice(start, end));
}

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const MAX_REPEAT = 1_000_000;
/** The largest N of `await NAME accepted|datagram|data N`: connections, datagrams or bytes. */
export const MAX_AWAIT_COUNT = 1_000_000;
/** How deep `repeat`s may nest: deeper files are refused at parse time rather than run on a deep stack. */
export const MAX_REPEAT_DEPTH = 16;
/** The verbs, in the order "did you mean" tries them (the verb table's order). */
const ALL_VERBS = VERBS.map((v) => v.name);

/**
 * The words completion offers at word `index` of a `verb` statement (after the word `previous`):
 * the keywords that stand there, which a near miss is told.
 */
function slotWords(verb: string, index: number, previous = ''): readonly string[] {
  const slot = keywordSlotAt(verb, index, previous);
  if (slot === undefined) throw new Error(`the verb table has no keywords at word ${index} of ${verb}`);
  return slot.words;
}

/** The keywords at each place the parser expects one, from the verb table. */
const KEYWORDS = {
  connectTransport: slotWords('connect', 1),
  listenTransport: slotWords('listen', 1),
  /** The words after a connect's or listener's target. */
  connectOption: slotWords('connect', 3),
  listenOption: slotWords('listen', 3),
  recv: slotWords('recv', 1),
  recvTimeout: slotWords('recv', 2, 'line'),
  until: slotWords('recv', 2, 'until'),
  send: slotWords('send', 1),
  expect: slotWords('expect', 1),
  expectTls: slotWords('expect', 2, 'tls'),
  echo: slotWords('echo', 1),
  every: slotWords('repeat', 2),
  repeatUntil: slotWords('repeat', 3, 'until'),
  ifPayload: slotWords('if', 1),
  eol: slotWords('eol', 1),
  serviceProtocol: slotWords('service', 2),
  recordType: slotWords('resolve', 2),
  capture: slotWords('capture', 2),
  awaitEvent: slotWords('await', 2),
  awaitTimeout: slotWords('await', 4),
};

/** What the parser does with a verb: a header, a settings line, a block structure line or a step. */
const enum VerbClass {
  Header,
  Policy,
  Tls,
  Udp,
  Repeat,
  If,
  Else,
  End,
  Eol,
  /** A step that needs the block's connection. */
  ChannelStep,
  /** A step that does not: `expect`, `wait` and the lookups. */
  Step,
}

/** The class of a verb of the table: a step that cannot stand in a block without a header needs its connection. */
function verbClassOf(v: VerbSpec): VerbClass {
  switch (v.kind) {
    case 'header':
      return VerbClass.Header;
    case 'repeat':
      return VerbClass.Repeat;
    case 'if':
      return VerbClass.If;
    case 'else':
      return VerbClass.Else;
    case 'end':
      return VerbClass.End;
    case 'setting':
      return v.settingOf === 'listener' ? VerbClass.Policy : v.settingOf === 'tls' ? VerbClass.Tls : v.settingOf === 'udp' ? VerbClass.Udp : VerbClass.Eol;
    default:
      return v.placement.headers.includes('none') ? VerbClass.Step : VerbClass.ChannelStep;
  }
}

/** A verb and what the parser does with it; `produces`: its step leaves something for `expect` to check. */
interface VerbInfo {
  readonly verb: string;
  readonly verbClass: VerbClass;
  readonly produces: boolean;
}

/** The verbs by first character (ASCII) and length, at `code * 16 + length`, to find a line's verb without slicing it. */
const VERB_TABLE: (VerbInfo[] | undefined)[] = new Array<VerbInfo[] | undefined>(128 * 16).fill(undefined);
for (const v of VERBS) {
  const verb = v.name;
  // verbAt reads only these keys: a longer or non-ASCII verb would never be found.
  if (verb.length >= 16 || verb.charCodeAt(0) >= 128) throw new Error(`verb "${verb}" does not fit the parser's verb table`);
  const key = verb.charCodeAt(0) * 16 + verb.length;
  VERB_TABLE[key] = [...(VERB_TABLE[key] ?? []), { verb, verbClass: verbClassOf(v), produces: v.produces }];
}

/** The verbs by name, for a near miss's hint. */
const VERB_INFO: ReadonlyMap<string, VerbInfo> = new Map(VERBS.map((v) => [v.name, { verb: v.name, verbClass: verbClassOf(v), produces: v.produces }]));

/** The verb written at `text[start, end)`, or `undefined`. */
function verbAt(codes: Uint16Array, start: number, end: number): VerbInfo | undefined {
  const length = end - start;
  const first = codes[start];
  if (length >= 16 || first >= 128) return undefined;
  const candidates = VERB_TABLE[first * 16 + length];
  if (candidates === undefined) return undefined;
  for (let k = 0; k < candidates.length; k++) {
    const v = candidates[k];
    const verb = v.verb;
    let i = 1;
    while (i < length && codes[start + i] === verb.charCodeAt(i)) i++;
    if (i === length) return v;
  }
  return undefined;
}

const RECORD_TYPE_LIST = RECORD_TYPES.join(', ');
const EXPECTED_PAYLOAD = 'a payload: "text", hex 47 45 54, base64 R0VU, file PATH or <<END';

/** What a block without policy, TLS or UDP lines holds: shared, and frozen so no block can change it for another. */
const NO_POLICY: ListenerPolicy = Object.freeze({ allow: Object.freeze([]), deny: Object.freeze([]) });
const NO_TLS: TlsSettings = Object.freeze({});
const NO_UDP: UdpSettings = Object.freeze({ groups: Object.freeze([]) });

type MutablePolicy = { maxConnections?: number; allow: string[]; deny: string[]; idleTimeoutMs?: number; removeStale?: boolean };
type MutableTls = { -readonly [K in keyof TlsSettings]: TlsSettings[K] };
type MutableUdp = { broadcast?: boolean; groups: { group: string; iface?: string }[] };

interface PendingHeredoc {
  readonly tag: string;
  /** The heredoc of a line with a mistake: its lines are skipped, and not being closed is no second error. */
  readonly quiet?: boolean;
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly payload: { kind: 'heredoc'; lines: Template[]; range: Range };
}

interface OpenRepeat {
  count: Amount;
  everyMs: Amount | undefined;
  /** The repeat's steps (only when nodes are built) and how many it has (always). */
  steps: Step[];
  stepCount: number;
  at: StatementAt;
  /** False while (or after) its line had a mistake: that error is its only diagnostic. */
  lineOk: boolean;
  /** `repeat … until MATCH`: the test that ends it early. */
  until?: Matcher;
  /** An `if` (the group closed by `end` is an `if`, not a `repeat`): its test, and its `else` steps. */
  test?: Matcher;
  elseSteps?: Step[];
  /** True after its `else`: steps go to {@link elseSteps}. */
  inElse?: boolean;
}

/**
 * The block being read. One serves a whole parse: {@link reset} starts each block, and the block's
 * steps are copied out when it ends.
 */
class BlockDraft {
  /** The text before the first ### line: a block only when it has statements. */
  preamble!: boolean;
  /** The title is `text[titleFrom, titleTo)`. */
  titleFrom!: number;
  titleTo!: number;
  startLine!: number;
  /** The header node, when nodes are built. */
  header: Header | undefined;
  /** The transport of a header that parsed, in both passes; `undefined` when there is none. */
  transport: BlockTransport | undefined;
  /** The header statement is `text[headerFrom, headerTo)`. */
  headerFrom = 0;
  headerTo = 0;
  /** A `connect udp` to 255.255.255.255 or `<broadcast>`: the block needs a `broadcast` line. */
  broadcastTarget!: boolean;
  /** The block's steps are `steps[0, stepCount)`: one array serves every block of a parse. */
  readonly steps: Step[] = [];
  stepCount!: number;
  eol!: 'crlf' | 'lf';
  hasStatements!: boolean;
  /** A receive or lookup step is in the block (in a repeat too): an `expect` has something to check. */
  produces!: boolean;
  /** A TLS or UDP setting line, or a near miss of a setting, had a mistake: the block's checks of its settings would follow from it. */
  settingsBroken!: boolean;
  /** The verb of the block's connect, listen or use line, even one with errors: its steps are not orphans. */
  headerVerb: 'connect' | 'listen' | 'use' | undefined;
  /** Made by the block's first setting line of each kind. */
  policy: MutablePolicy | undefined;
  tls: MutableTls | undefined;
  udp: MutableUdp | undefined;
  /** Open `repeat` statements, innermost last: their steps collect here until `end`. */
  readonly repeats: OpenRepeat[] = [];

  constructor(preamble: boolean, startLine: number) {
    this.reset(preamble, 0, 0, startLine);
  }

  /** Makes this the draft of a fresh block, titled `text[titleFrom, titleTo)`, that starts on line `startLine`. */
  reset(preamble: boolean, titleFrom: number, titleTo: number, startLine: number): void {
    this.preamble = preamble;
    this.titleFrom = titleFrom;
    this.titleTo = titleTo;
    this.startLine = startLine;
    this.header = undefined;
    this.transport = undefined;
    this.broadcastTarget = false;
    this.stepCount = 0;
    this.eol = 'crlf';
    this.hasStatements = false;
    this.produces = false;
    this.settingsBroken = false;
    this.headerVerb = undefined;
    this.policy = undefined;
    this.tls = undefined;
    this.udp = undefined;
    if (this.repeats.length > 0) this.repeats.length = 0;
  }
}

/** A block's policy, TLS and UDP lines; one shared object for the usual block that has none. */
interface BlockSettings {
  readonly policy: ListenerPolicy;
  readonly tls: TlsSettings;
  readonly udp: UdpSettings;
}

const NO_SETTINGS: BlockSettings = Object.freeze({ policy: NO_POLICY, tls: NO_TLS, udp: NO_UDP });

/**
 * What a parse shares with the blocks it made, so that a block can build its nodes later: the
 * text and its line starts, the names given with `as NAME` (each with the block that gave it), and
 * the regular expressions already checked.
 */
interface ParseContext {
  readonly file: SourceText;
  readonly names: Map<string, NameInfo>;
  readonly regexes: RegexChecks;
  /** Variables given from outside the file (the CLI's `--var NAME=VALUE`): `{{NAME}}` may use them undeclared. */
  readonly given: ReadonlySet<string>;
  /** The one parser that builds this parse's blocks, made by the first build (builds never nest). */
  builder?: Parser;
}

/** A name given with `as NAME`, by block `block` (1-based). */
interface NameInfo {
  readonly kind: 'listener' | 'connection';
  readonly transport: BlockTransport;
  readonly keep: boolean;
  readonly block: number;
}

/** A block's nodes, made by {@link Parser.buildBlock} when first asked for. */
interface BuiltBlock {
  readonly header: Header | undefined;
  readonly steps: readonly Step[];
  readonly settings: BlockSettings;
}

/**
 * A block. The parse checks every line of it and keeps what the editor reads on each change as
 * numbers: its title and range are offsets into the text. Its header, steps and settings are
 * nodes made the first time one of them is asked for, by parsing the block's lines again with
 * nodes on ({@link Parser.buildBlock}); they are then kept, the same objects every time.
 * `toJSON` gives the plain shape.
 */
class BlockNode {
  declare readonly index: number;
  declare readonly eol: 'crlf' | 'lf';
  readonly #context: ParseContext;
  /** The title is `text[titleFrom, titleTo)`, on the block's first line. */
  readonly #titleFrom: number;
  readonly #titleTo: number;
  /** The offset where the block's range ends: the end of its last line. */
  readonly #end: number;
  /** The block's first line (its `###` line, or line 0 for the text before the first `###`). */
  readonly #startLine: number;
  readonly #preamble: boolean;
  /** The offset of the header's verb when the header parsed, or -1: the header builds from its line alone. */
  readonly #headerAt: number;
  #header: Header | undefined;
  #built: BuiltBlock | undefined;

  constructor(draft: BlockDraft, context: ParseContext, index: number, end: number, built: BuiltBlock | undefined) {
    this.#context = context;
    this.#titleFrom = draft.titleFrom;
    this.#titleTo = draft.titleTo;
    this.#end = end;
    this.#startLine = draft.startLine;
    this.#preamble = draft.preamble;
    this.#headerAt = draft.transport !== undefined ? draft.headerFrom : -1;
    this.#header = undefined;
    this.#built = built;
    this.index = index;
    this.eol = draft.eol;
  }

  /** The rest of the `###` line, trimmed. */
  get title(): string {
    return this.#context.file.text.slice(this.#titleFrom, this.#titleTo);
  }

  get range(): Range {
    const file = this.#context.file;
    const endLine = file.lineOf(this.#end);
    return new BlockSpan(file.lineOf(this.#titleFrom), endLine, this.#end - file.lineStarts[endLine]);
  }

  /** Built from the header's line alone: CodeLens and the outline read every block's header on each change, not its steps. */
  get header(): Header | undefined {
    if (this.#built !== undefined) return this.#built.header;
    if (this.#headerAt < 0) return undefined;
    const context = this.#context;
    return (this.#header ??= (context.builder ??= new Parser(context, true, this.index)).buildHeader(this.index, this.#headerAt));
  }

  get steps(): readonly Step[] {
    return this.#build().steps;
  }

  get policy(): ListenerPolicy {
    return this.#build().settings.policy;
  }

  get tls(): TlsSettings {
    return this.#build().settings.tls;
  }

  get udp(): UdpSettings {
    return this.#build().settings.udp;
  }

  #build(): BuiltBlock {
    if (this.#built === undefined) {
      const context = this.#context;
      const built = (context.builder ??= new Parser(context, true, this.index)).buildBlock(this.index, this.#startLine, this.#preamble);
      // A header already built alone stays the block's header: the same object every time.
      this.#built = this.#header === undefined ? built : { ...built, header: this.#header };
    }
    return this.#built;
  }

  toJSON(): Block {
    const { index, title, range, steps, eol, policy, tls, udp, header } = this;
    return header ? { index, title, range, steps, eol, policy, tls, udp, header } : { index, title, range, steps, eol, policy, tls, udp };
  }
}

/** `items[0, count)` as an array of its own; a literal for the usual few items, which is faster than `slice`. */
function copyOf<T>(items: readonly T[], count: number): T[] {
  switch (count) {
    case 1:
      return [items[0]];
    case 2:
      return [items[0], items[1]];
    case 3:
      return [items[0], items[1], items[2]];
    case 4:
      return [items[0], items[1], items[2], items[3]];
    default:
      return items.slice(0, count);
  }
}

/** Adds a step (`undefined` when nodes are not built) to the innermost open repeat, or to the block. */
function addStep(draft: BlockDraft, step: Step | undefined): void {
  const open = draft.repeats.length;
  if (open > 0) {
    const r = draft.repeats[open - 1];
    if (step !== undefined) (r.inElse ? (r.elseSteps ??= []) : r.steps).push(step);
    r.stepCount++;
  } else {
    if (step !== undefined) draft.steps[draft.stepCount] = step;
    draft.stepCount++;
  }
}

type RecvMode = 'chunk' | 'bytes' | 'exactly' | 'line' | 'until' | 'all';

/** A block's settings from its draft. */
function settingsOf(draft: BlockDraft): BlockSettings {
  const { policy, tls, udp } = draft;
  return policy || tls || udp ? { policy: policy ?? NO_POLICY, tls: tls ?? NO_TLS, udp: udp ?? NO_UDP } : NO_SETTINGS;
}

/**
 * What a template, payload or matcher stands for in the checking pass, which makes no nodes: the
 * shape its checks need (literal text or not, the matcher's kind) and nothing else. None reaches a
 * consumer: the checking pass keeps no step, and the nodes a block gives are built by a pass
 * that makes them.
 */
const CHECKED_TEXT: Template = Object.freeze({ parts: Object.freeze([Object.freeze({ text: '' })]), range: Object.freeze({ start: Object.freeze({ line: 0, column: 0 }), end: Object.freeze({ line: 0, column: 0 }) }) });
const CHECKED_REFERENCES: Template = Object.freeze({ parts: Object.freeze([Object.freeze({ variable: '', range: CHECKED_TEXT.range })]), range: CHECKED_TEXT.range });
const CHECKED_PAYLOAD: Payload = Object.freeze({ kind: 'text', template: CHECKED_TEXT });
const CHECKED_REGEX: Matcher = Object.freeze({ kind: 'regex', source: '', flags: '' });
const CHECKED_CONTAINS: Matcher = Object.freeze({ kind: 'contains', payload: CHECKED_PAYLOAD });

/**
 * Parses `.sock` text in one of two passes over the same grammar, so both always agree:
 * - the checking pass ({@link parse}) reads every line of the file, checks every statement and
 *   finds every diagnostic, and makes only the blocks, the variables and what diagnostics need;
 * - a block's building pass ({@link buildBlock}) reads that block's lines again and makes its
 *   header, step and settings nodes. It is run the first time a consumer asks a block for one.
 * The checking pass is what the editor runs on every change; a `.sock` run builds the blocks it runs.
 */
class Parser {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly variables = new Map<string, Variable>();
  private readonly blocks: Block[] = [];
  /** Every `{{name}}` the checking pass read: its name, and its offsets at `2k` and `2k + 1`; checked once all names are known. */
  private readonly referenceNames: string[] = [];
  private readonly referenceOffsets: number[] = [];
  /** Names given with `as NAME`: listeners (for `{{NAME}}`) and connections (for `use NAME`). */
  private readonly names: Map<string, NameInfo>;
  /** Variables whose `@name = value` line has a mistake: that line's error is their one error. */
  private readonly badlyDeclared = new Set<string>();
  private readonly regexes: RegexChecks;
  /** Names that `capture` steps give, anywhere in the file: `{{NAME}}` may use them. */
  private readonly captured = new Set<string>();
  /**
   * The "did you mean" word for each unknown word met, `''` for none, by the list of words it was
   * meant to be (the verbs, or a keyword slot of the verb table): a pasted text repeats its words.
   */
  private readonly hints = new Map<readonly string[], Map<string, string>>();
  private readonly c = new LineCursor();
  private readonly strings = this.c.strings;
  /** The template parts being collected, `parts[0, count)`; copied out at their final length. */
  private readonly parts: TemplatePart[] = [];
  /** The current line: its number, the offset of its column 0, of its end (before a CR) and of its `\n` (or the text's length). */
  private line = 0;
  private lineStart = 0;
  private lineEnd = 0;
  private newline = 0;
  /** The columns of the current statement's verb. */
  private verbStart = 0;
  private verbEnd = 0;
  /** Where the statement parsed last is, set by {@link at}. */
  private readonly statementAt = new StatementAt();
  private heredoc: PendingHeredoc | undefined;
  /** The draft {@link buildHeader} reads a header line into. */
  private headerDraft: BlockDraft | undefined;

  /** The text and where its lines start, for the nodes' ranges. */
  private readonly file: SourceText;
  private readonly text: string;
  /** The text's code units ({@link SourceText.codes}). */
  private readonly codes: Uint16Array;
  /**
   * Whether nodes are made: on in a building pass, and in the checking pass only for variables
   * (or throughout, for {@link parseSockEagerly}).
   */
  private nodes: boolean;
  private readonly makesNodes: boolean;
  /** The number of the block being read: a name counts as given only by a block before it. */
  private blockIndex: number;

  /**
   * @param context the text, and what the checking pass shares with the building passes
   * @param building false for the checking pass (the file), true for a block's building pass
   * @param blockIndex the 1-based number of the first block read
   * @param eager a checking pass that makes every node as it goes, as one pass
   */
  constructor(
    private readonly context: ParseContext,
    private readonly building: boolean,
    blockIndex: number,
    eager = false,
  ) {
    this.file = context.file;
    this.text = context.file.text;
    this.codes = context.file.codes;
    this.names = context.names;
    this.regexes = context.regexes;
    this.makesNodes = building || eager;
    this.nodes = this.makesNodes;
    this.blockIndex = blockIndex;
  }

  /** The name `name` as given by a block before the current one, if any. */
  private nameBefore(name: string): NameInfo | undefined {
    const known = this.names.get(name);
    return known !== undefined && known.block < this.blockIndex ? known : undefined;
  }

  /** Makes line `line`, which starts at offset `start`, the current line. */
  private setLine(line: number, start: number): void {
    const { codes, text } = this;
    let newline = text.indexOf('\n', start);
    if (newline < 0) newline = text.length;
    // CRLF files: the CR that ends a line is not part of it.
    const end = newline > start && codes[newline - 1] === 0x0d ? newline - 1 : newline;
    // The checking pass records every line; a building pass reads lines it has recorded.
    if (!this.building) this.file.addLine(line, start);
    this.line = line;
    this.lineStart = start;
    this.lineEnd = end;
    this.newline = newline;
  }

  /** The checking pass: the whole file. */
  parse(): SockFile {
    const draft = new BlockDraft(true, 0);
    this.setLine(0, 0);
    this.readLines(draft);
    this.finishBlock(draft, this.line, this.lineEnd - this.lineStart);
    this.checkReferences();
    return { blocks: this.blocks, variables: this.variables, diagnostics: this.diagnostics, ...(this.captured.size > 0 ? { captured: this.captured } : {}) };
  }

  /**
   * The building pass of the block that starts on line `startLine` (its `###` line, or line 0 for
   * the statements before the first `###`): its header, steps and settings. Its diagnostics are
   * the checking pass's, already reported, and are dropped.
   */
  buildBlock(index: number, startLine: number, preamble: boolean): BuiltBlock {
    this.blockIndex = index;
    this.heredoc = undefined;
    if (this.diagnostics.length > 0) this.diagnostics.length = 0;
    const draft = new BlockDraft(preamble, startLine);
    const first = preamble ? startLine : startLine + 1;
    if (first < this.file.lines) {
      this.setLine(first, this.file.lineStarts[first]);
      this.readLines(draft);
    }
    while (draft.repeats.length > 0) this.closeRepeat(draft);
    return { header: draft.header, steps: copyOf(draft.steps, draft.stepCount), settings: settingsOf(draft) };
  }

  /** The building pass of a block's header alone: its line, which starts with the verb at offset `first`. */
  buildHeader(index: number, first: number): Header | undefined {
    this.blockIndex = index;
    if (this.diagnostics.length > 0) this.diagnostics.length = 0;
    const line = this.file.lineOf(first);
    this.setLine(line, this.file.lineStarts[line]);
    // CodeLens and the outline build every block's header on a change: one draft serves them all.
    const draft = (this.headerDraft ??= new BlockDraft(false, 0));
    draft.reset(false, 0, 0, line);
    try {
      this.statement(draft, first);
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
    }
    this.heredoc = undefined;
    return draft.header;
  }

  /**
   * Reads lines from the current one to the end of the text; a building pass stops at the next
   * `###` line, where its block ends.
   */
  private readLines(draft: BlockDraft): void {
    const { codes, text } = this;
    let previousLength = 0;
    for (;;) {
      const start = this.lineStart;
      const end = this.lineEnd;
      let i = start;
      while (i < end && isSpace(codes[i])) i++;
      if (i < end) {
        const ch = codes[i];
        if (ch === 0x23 /* # */) {
          if (codes[i + 1] === 0x23 && codes[i + 2] === 0x23) {
            if (this.building) return;
            this.finishBlock(draft, this.line - 1, previousLength);
            let t = i + 3;
            while (t < end && isSpace(codes[t])) t++;
            let e = end;
            while (e > t && isSpace(codes[e - 1])) e--;
            draft.reset(false, t, e, this.line);
          }
          // Otherwise a comment line.
        } else if (!(ch === 0x2f /* / */ && codes[i + 1] === 0x2f)) {
          try {
            this.statement(draft, i);
          } catch (err) {
            if (!(err instanceof LineError)) throw err;
            this.error(err.message, this.line, err.start, err.end, 'error', err.replacement);
            if (!this.heredoc) this.heredocOfBrokenLine();
          }
          if (this.heredoc) this.readHeredoc();
        }
      }
      if (this.newline >= text.length) return;
      previousLength = this.lineEnd - this.lineStart;
      this.setLine(this.line + 1, this.newline + 1);
    }
  }

  private error(message: string, line: number, start: number, end: number, severity: 'error' | 'warning' = 'error', replacement?: string): void {
    const range = { start: { line, column: start }, end: { line, column: Math.max(end, start + 1) } };
    this.diagnostics.push(replacement === undefined ? { severity, message, range } : { severity, message, range, replacement });
  }

  /** The word of `words` that `word` is a near miss of, or `''`; remembered for the parse. */
  private hint(words: readonly string[], word: string): string {
    let known = this.hints.get(words);
    if (known === undefined) this.hints.set(words, (known = new Map()));
    let hint = known.get(word);
    if (hint === undefined) known.set(word, (hint = closestWord(words, word)));
    return hint;
  }

  /**
   * The error for the last word read where one of `words` goes: `message`, with "did you mean"
   * and the word as its replacement when it is a near miss of one (`hinted` then, if given). A
   * `{{…}}` there is told that the place takes one of `words` written out.
   */
  private keywordError(words: readonly string[], message: string, hinted = message, word = this.c.slice()): LineError {
    const { c } = this;
    const open = findPair(c.codes, c.start, c.stop, 0x7b);
    if (open >= 0) {
      const close = findPair(c.codes, open + 2, c.stop, 0x7d);
      const end = close < 0 ? c.stop : close + 2;
      return new LineError(`${c.text.slice(open, end)} is a variable, and this place takes a keyword written out: ${words.join(', ')}`, open - c.base, end - c.base);
    }
    const hint = this.hint(words, word);
    return new LineError(hint ? `${hinted} (did you mean "${hint}"?)` : message, c.start - c.base, c.stop - c.base, hint || undefined);
  }

  /**
   * When the last word read holds a `{{…}}` where a literal `what` goes (a count, a duration):
   * the error that says so, over the `{{…}}`; else `undefined`.
   */
  private literalRequired(what: string, example: string): LineError | undefined {
    const { c } = this;
    const open = findPair(c.codes, c.start, c.stop, 0x7b);
    if (open < 0) return undefined;
    const close = findPair(c.codes, open + 2, c.stop, 0x7d);
    const end = close < 0 ? c.stop : close + 2;
    const reference = c.text.slice(open, end);
    return new LineError(`${reference} is a variable, and this place takes ${what} written out, e.g. ${example} (a listener's settings are read once, when it starts; a step's counts and durations may be variables)`, open - c.base, end - c.base);
  }

  /** Columns `[start, end)` of the current line. */
  private range(start: number, end: number): Range {
    return new LineSpan(this.line, start, end);
  }

  /** Ends a block whose last line is `lastLine`, `lastLength` characters long. */
  private finishBlock(draft: BlockDraft, lastLine: number, lastLength: number): void {
    while (draft.repeats.length > 0) {
      const open = draft.repeats[draft.repeats.length - 1];
      // A repeat whose line had a mistake has its error already.
      if (open.lineOk) this.diagnostics.push({ severity: 'error', message: 'repeat without end: add a line "end" after its steps', range: open.at.range() });
      this.closeRepeat(draft);
    }
    if (draft.preamble && !draft.hasStatements) return;
    if (draft.headerVerb === 'listen' && draft.transport === 'tls' && !draft.settingsBroken) {
      const t = draft.tls ?? NO_TLS;
      if (t.selfSigned && (t.cert || t.key)) this.diagnostics.push({ severity: 'error', message: 'self-signed makes its own certificate: drop cert and key, or self-signed', range: this.file.span(draft.headerFrom, draft.headerTo) });
      else if (!t.selfSigned && !(t.cert && t.key)) this.diagnostics.push({ severity: 'error', message: 'listen tls needs cert FILE and key FILE, or self-signed', range: this.file.span(draft.headerFrom, draft.headerTo) });
    }
    if (draft.broadcastTarget && !draft.udp?.broadcast && !draft.settingsBroken) {
      this.diagnostics.push({ severity: 'error', message: 'sending to the broadcast address needs a broadcast line in the block (SO_BROADCAST, as Node\'s setBroadcast requires)', range: this.file.span(draft.headerFrom, draft.headerTo) });
    }
    // A block always ends on its last line (the line before the next ###, or the file's last line).
    const index = this.blocks.length + 1;
    const endLine = Math.max(lastLine, draft.startLine);
    const built = this.nodes ? { header: draft.header, steps: copyOf(draft.steps, draft.stepCount), settings: settingsOf(draft) } : undefined;
    this.blocks.push(new BlockNode(draft, this.context, index, this.file.lineStarts[endLine] + lastLength, built));
    this.blockIndex = index + 1;
  }

  /** Reads the lines of a pending heredoc, up to its closing tag (or the next `###` block). */
  private readHeredoc(): void {
    const h = this.heredoc as PendingHeredoc;
    this.heredoc = undefined;
    const { codes, text } = this;
    const body: Template[] = [];
    while (this.newline < text.length) {
      const previousStart = this.lineStart;
      this.setLine(this.line + 1, this.newline + 1);
      let a = this.lineStart;
      let b = this.lineEnd;
      while (a < b && isSpace(codes[a])) a++;
      while (b > a && isSpace(codes[b - 1])) b--;
      if (b - a === h.tag.length && text.startsWith(h.tag, a)) {
        this.resolveHeredoc(h, body);
        return;
      }
      if (text.startsWith('###', a) && a + 3 <= b) {
        // The ### line is the next block's: the heredoc ends on the line before it.
        this.setLine(this.line - 1, previousStart);
        break;
      }
      try {
        body.push(this.template(this.lineStart, this.lineEnd));
      } catch (err) {
        if (!(err instanceof LineError)) throw err;
        this.error(err.message, this.line, err.start, err.end);
      }
    }
    if (!h.quiet) this.error(`heredoc <<${h.tag} is not closed: add a line "${h.tag}" before the next ### block`, h.line, h.start, h.end);
    this.resolveHeredoc(h, body);
  }

  /**
   * After a line with a mistake: a `<<TAG` on it (a bad tag such as `<<"END"` too, read as `END`)
   * still owns the lines up to `TAG`, so they are not read as statements, each an error of its own.
   */
  private heredocOfBrokenLine(): void {
    const { c, codes, text } = this;
    // Most lines with a mistake have no `<<`: found without reading their words.
    let i = this.lineStart + this.verbEnd;
    while (i < this.lineEnd && !(codes[i] === 0x3c && codes[i + 1] === 0x3c)) i++;
    if (i >= this.lineEnd) return;
    c.reset(text, codes, this.lineStart, this.lineEnd);
    c.pos = this.lineStart + this.verbEnd;
    while (!c.atEnd()) {
      c.next('');
      if (codes[c.start] !== 0x3c || codes[c.start + 1] !== 0x3c) continue;
      const tag = text.slice(c.start + 2, c.stop).replace(/^-/, '').replace(/^(["'])(.*)\1$/, '$2');
      if (tag === '') return;
      const start = c.start - c.base;
      const end = c.stop - c.base;
      this.heredoc = { tag, quiet: true, line: this.line, start, end, payload: { kind: 'heredoc', lines: [], range: this.range(start, end) } };
      return;
    }
  }

  /** Gives a heredoc its lines and its range, which ends at the end of the current line. */
  private resolveHeredoc(h: PendingHeredoc, lines: Template[]): void {
    h.payload.lines = lines;
    h.payload.range = { start: { line: h.line, column: h.start }, end: { line: this.line, column: this.lineEnd - this.lineStart } };
  }

  /** Parses the statement of the current line; its first word starts at offset `first`. */
  private statement(draft: BlockDraft, first: number): void {
    const { codes, text, c } = this;
    const base = this.lineStart;
    c.reset(text, codes, base, this.lineEnd);
    // The first word: the line is not blank and not a comment, so there is one.
    c.pos = first;
    c.start = first;
    c.skipWord();
    const verbEnd = c.pos;
    c.stop = c.lastEnd = verbEnd;
    this.verbStart = first - base;
    this.verbEnd = verbEnd - base;
    if (codes[first] === 0x40 /* @ */) {
      if (!this.building) this.variable();
      return;
    }
    const found = verbAt(codes, first, verbEnd);
    if (found === undefined) {
      const verb = text.slice(first, verbEnd);
      const hint = this.hint(ALL_VERBS, verb);
      if (hint) this.nearMiss(draft, hint);
      throw new LineError(`unknown statement "${verb}"${hint ? ` (did you mean "${hint}"?)` : ''}`, this.verbStart, this.verbEnd, hint || undefined);
    }
    const { verb, verbClass, produces } = found;
    switch (verbClass) {
      case VerbClass.Header: {
        const v = verb as 'connect' | 'listen' | 'use';
        if (draft.headerVerb) throw new LineError(`a block has one connect, listen or use; start a new block with ### before this one`, this.verbStart, this.verbEnd);
        if (draft.stepCount > 0 || draft.repeats.length > 0) throw new LineError(`${v} must be the first statement of its block`, this.verbStart, this.verbEnd);
        draft.headerVerb = v;
        draft.hasStatements = true;
        try {
          draft.transport = v === 'use' ? this.useHeader(draft) : this.header(v, draft);
        } catch (err) {
          if (v !== 'use' && !this.building) this.nameOfBrokenHeader(v);
          throw err;
        }
        return;
      }
      case VerbClass.Policy:
        this.policy(verb, draft);
        return;
      case VerbClass.Tls:
        draft.hasStatements = true;
        try {
          this.tlsSetting(verb, draft);
        } catch (err) {
          draft.settingsBroken = true;
          throw err;
        }
        return;
      case VerbClass.Udp:
        try {
          this.udpSetting(verb, draft);
        } catch (err) {
          draft.settingsBroken = true;
          throw err;
        }
        return;
      case VerbClass.Repeat: {
        // The repeat opens before its line is checked: a mistake on the line is its one error,
        // and its `end` still closes it instead of adding "end without repeat".
        const open: OpenRepeat = { count: 1, everyMs: undefined, steps: [], stepCount: 0, at: this.at().copy(), lineOk: false };
        draft.repeats.push(open);
        draft.hasStatements = true;
        // One error, at the first repeat past the limit.
        if (draft.repeats.length === MAX_REPEAT_DEPTH + 1) throw new LineError(`repeats nest at most ${MAX_REPEAT_DEPTH} deep`, this.verbStart, this.verbEnd);
        const n = c.word('a count, e.g. repeat 10');
        if (n.text.includes('{{')) open.count = this.template(this.lineStart + n.start, this.lineStart + n.end);
        else if (!/^\d+$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > MAX_REPEAT) throw this.literalRequired('a count', 'repeat 10') ?? new LineError(`repeat takes a count from 1 to ${MAX_REPEAT}`, n.start, n.end);
        else open.count = Number(n.text);
        while (!c.atEnd()) {
          const kw = c.word('');
          if (kw.text === 'every' && open.everyMs === undefined && open.until === undefined) {
            open.everyMs = this.durationOrVariable();
          } else if (kw.text === 'until' && open.until === undefined) {
            open.until = this.test(KEYWORDS.repeatUntil, 'repeat N until');
            c.expectEnd();
          } else {
            throw this.keywordError(KEYWORDS.every, `unexpected "${kw.text}" (expected "every DURATION" or "until PAYLOAD|/REGEX/")`, `unexpected "${kw.text}"`);
          }
        }
        // Its source ends where the line's last word does: taken again once the line is read.
        open.at = this.at().copy();
        open.lineOk = true;
        return;
      }
      case VerbClass.If: {
        // Opened before its test is read, as a repeat is: its `end` closes it whatever the line holds.
        const open: OpenRepeat = { count: 1, everyMs: undefined, steps: [], stepCount: 0, at: this.at().copy(), lineOk: false, test: CHECKED_REGEX, elseSteps: [] };
        draft.repeats.push(open);
        draft.hasStatements = true;
        if (draft.repeats.length === MAX_REPEAT_DEPTH + 1) throw new LineError(`repeat and if nest at most ${MAX_REPEAT_DEPTH} deep`, this.verbStart, this.verbEnd);
        open.test = this.test(KEYWORDS.ifPayload, 'if');
        c.expectEnd();
        open.at = this.at().copy();
        open.lineOk = true;
        return;
      }
      case VerbClass.Else: {
        c.expectEnd();
        const open = draft.repeats[draft.repeats.length - 1];
        if (!open || open.test === undefined) throw new LineError('else without if', this.verbStart, this.verbEnd);
        if (open.inElse) throw new LineError('a second else in one if', this.verbStart, this.verbEnd);
        open.inElse = true;
        return;
      }
      case VerbClass.End:
        if (draft.repeats.length === 0) throw new LineError('end without repeat or if', this.verbStart, this.verbEnd);
        // Closed before the rest of the line is checked: a word after end is its one error.
        this.closeRepeat(draft);
        c.expectEnd();
        return;
      case VerbClass.Eol: {
        const t = c.word('crlf or lf');
        if (t.text !== 'crlf' && t.text !== 'lf') throw this.keywordError(KEYWORDS.eol, `eol is crlf or lf, not "${t.text}"`);
        c.expectEnd();
        draft.eol = t.text;
        return;
      }
      case VerbClass.ChannelStep:
        // A receive with a mistake still leaves the expects after it something to check.
        if (produces) draft.produces = true;
        draft.hasStatements = true;
        if (!draft.headerVerb) throw new LineError(`${verb} needs a connection: start the block with connect, listen or use`, this.verbStart, this.verbEnd);
        break;
    }
    // A lookup's step is `step`, but `expect` reads `produces` before its own step is added.
    if (produces) draft.produces = true;
    draft.hasStatements = true;
    addStep(draft, this.step(verb, draft));
  }

  /**
   * A line whose verb is a near miss of `hint`: the block goes on as if the line were `hint`'s
   * with a mistake, so that its one error is the misspelling. A near miss of a header stands for
   * the block's header (its steps do not need a connection), of a receive or lookup leaves the
   * expects after it something to check, of a setting stops the block's checks of its settings,
   * and of repeat opens a repeat for its end.
   */
  private nearMiss(draft: BlockDraft, hint: string): void {
    const info = VERB_INFO.get(hint);
    if (info === undefined) return;
    if (info.produces) draft.produces = true;
    switch (info.verbClass) {
      case VerbClass.Header:
        if (!draft.headerVerb && draft.stepCount === 0 && draft.repeats.length === 0) draft.headerVerb = hint as 'connect' | 'listen' | 'use';
        break;
      case VerbClass.Tls:
      case VerbClass.Udp:
        draft.settingsBroken = true;
        break;
      case VerbClass.Repeat:
        draft.repeats.push({ count: 1, everyMs: undefined, steps: [], stepCount: 0, at: this.at().copy(), lineOk: false });
        break;
    }
    draft.hasStatements = true;
  }

  /**
   * A connect or listen line with a mistake still gives its `as NAME` (and `keep`) to the blocks
   * after it, so that their `use NAME` and `{{NAME.port}}` are not errors too. The transport is
   * the one written, its near miss, or tcp.
   */
  private nameOfBrokenHeader(verb: 'connect' | 'listen'): void {
    const { c } = this;
    c.reset(this.text, this.codes, this.lineStart, this.lineEnd);
    c.pos = this.lineStart + this.verbEnd;
    let transport: BlockTransport = 'tcp';
    let name: string | undefined;
    let keep = false;
    for (let index = 1; !c.atEnd(); index++) {
      c.next('');
      const word = c.slice();
      if (index === 1) {
        const written = word === 'tcp' || word === 'udp' || word === 'unix' || word === 'tls' ? word : this.hint(KEYWORDS.connectTransport, word);
        if (written) transport = written as BlockTransport;
      } else if (word === 'keep') keep = true;
      else if (word === 'as' && !c.atEnd()) {
        c.next('');
        if (NAME.test(c.slice())) name = c.slice();
      }
    }
    if (name !== undefined && !this.names.has(name)) this.names.set(name, { kind: verb === 'listen' ? 'listener' : 'connection', transport, keep, block: this.blockIndex });
  }

  /**
   * Where the statement is: its line, and its source text from its verb up to a trailing
   * comment, trimmed. Called once the statement has parsed: the parse read every word of it, so
   * its source ends where the last word read ends — after a `/regex/`'s closing slash and flags
   * too, so a `#` inside the regex is part of it, not a comment (§2.3). The node made from it
   * copies the numbers: the same object serves every statement.
   */
  private at(): StatementAt {
    const { c, codes } = this;
    const first = this.lineStart + this.verbStart;
    let end = c.lastEnd;
    while (end > first && isSpace(codes[end - 1])) end--;
    const at = this.statementAt;
    at.file = this.file;
    at.from = first;
    at.to = end;
    return at;
  }

  /** A listener block's policy line: `max-conns N`, `allow …`, `deny …`, `idle-timeout D`, `remove-stale`. */
  private policy(verb: string, draft: BlockDraft): void {
    const { c } = this;
    if (draft.headerVerb !== 'listen') throw new LineError(`${verb} is a listener setting: put it in a block that starts with listen`, this.verbStart, this.verbEnd);
    const transport = draft.transport;
    const p = (draft.policy ??= { allow: [], deny: [] });
    if (verb === 'max-conns') {
      // On UDP it caps the sessions (one per datagram) that run at once.
      const n = c.word('a number of connections');
      if (!/^\d+$/.test(n.text) || Number(n.text) < 1) throw this.literalRequired('a number of connections', 'max-conns 10') ?? new LineError('max-conns takes a number ≥ 1', n.start, n.end);
      c.expectEnd();
      p.maxConnections = Number(n.text);
    } else if (verb === 'allow' || verb === 'deny') {
      if (transport === 'unix') throw new LineError(`${verb} filters addresses; Unix socket peers have none`, this.verbStart, this.verbEnd);
      if (c.atEnd()) throw new LineError(`${verb} takes addresses or subnets, e.g. ${verb} 127.0.0.1 10.0.0.0/8`, this.verbStart, this.verbEnd);
      while (!c.atEnd()) {
        const a = c.word('');
        literal(a);
        try {
          parseAddressPattern(a.text);
        } catch (err) {
          throw errorAt(err, a.start, a.end);
        }
        p[verb].push(a.text);
      }
    } else if (verb === 'idle-timeout') {
      if (transport === 'udp') throw new LineError('idle-timeout closes idle connections; UDP has none', this.verbStart, this.verbEnd);
      p.idleTimeoutMs = this.duration();
      c.expectEnd();
    } else {
      if (transport !== 'unix') throw new LineError('remove-stale is for listen unix: it removes a stale socket file', this.verbStart, this.verbEnd);
      c.expectEnd();
      p.removeStale = true;
    }
  }

  /** A UDP block's `broadcast` or `join GROUP [IFACE]` line. */
  private udpSetting(verb: string, draft: BlockDraft): void {
    const { c } = this;
    if (draft.transport !== undefined && draft.transport !== 'udp') throw new LineError(`${verb} is a UDP setting: put it in a block that starts with connect udp or listen udp`, this.verbStart, this.verbEnd);
    if (!draft.headerVerb) throw new LineError(`${verb} is a UDP setting: put it in a block that starts with connect udp or listen udp`, this.verbStart, this.verbEnd);
    if (draft.headerVerb === 'use') throw new LineError(`${verb} belongs to the connect udp block that opens the connection, not to use`, this.verbStart, this.verbEnd);
    if (verb === 'broadcast') {
      c.expectEnd();
      (draft.udp ??= { groups: [] }).broadcast = true;
      return;
    }
    if (draft.headerVerb !== 'listen') throw new LineError('join is a listener setting: a listen udp block joins a multicast group to receive from it', this.verbStart, this.verbEnd);
    const g = c.word('a multicast group, e.g. 239.1.2.3');
    if (!isMulticast(g.text)) throw new LineError(`"${g.text}" is not a multicast group (224.0.0.0/4 or ff00::/8)`, g.start, g.end);
    const iface = c.optionalWord();
    if (iface && !isIP(iface.text)) throw new LineError(`"${iface.text}" is not an interface address, e.g. 127.0.0.1`, iface.start, iface.end);
    c.expectEnd();
    (draft.udp ??= { groups: [] }).groups.push(iface ? { group: g.text, iface: iface.text } : { group: g.text });
  }

  /** A TLS block's setting line. */
  private tlsSetting(verb: string, draft: BlockDraft): void {
    const { c } = this;
    if (draft.transport !== 'tls' && !(draft.headerVerb && draft.transport === undefined)) {
      throw new LineError(`${verb} is a TLS setting: put it in a block that starts with connect tls or listen tls`, this.verbStart, this.verbEnd);
    }
    if (draft.headerVerb === 'use') throw new LineError(`${verb} belongs to the connect tls block that opens the connection, not to use`, this.verbStart, this.verbEnd);
    const listen = draft.headerVerb === 'listen';
    const clientOnly = ['insecure', 'ca', 'servername'];
    const serverOnly = ['cert', 'key', 'self-signed'];
    if (listen && clientOnly.includes(verb)) throw new LineError(`${verb} is a client setting (connect tls); a listener uses cert, key or self-signed`, this.verbStart, this.verbEnd);
    if (!listen && serverOnly.includes(verb)) throw new LineError(`${verb} is a listener setting (listen tls)`, this.verbStart, this.verbEnd);
    if (verb === 'insecure' || verb === 'self-signed') {
      c.expectEnd();
      const t = (draft.tls ??= {});
      if (verb === 'insecure') {
        t.insecure = true;
        this.error('insecure: the server certificate is not verified', this.line, this.verbStart, this.verbEnd, 'warning');
      } else t.selfSigned = true;
    } else if (verb === 'alpn') {
      const protocols: string[] = [];
      while (!c.atEnd()) protocols.push(literal(c.word('')));
      if (protocols.length === 0) throw new LineError('alpn takes protocol names, e.g. alpn h2 http/1.1', this.verbStart, this.verbEnd);
      (draft.tls ??= {}).alpn = protocols;
    } else if (verb === 'servername') {
      (draft.tls ??= {}).servername = literal(c.word('a host name'));
      c.expectEnd();
    } else {
      c.next('a file path');
      const { start, stop } = c;
      c.expectEnd();
      const template = this.template(start, stop);
      (draft.tls ??= {})[verb as 'ca' | 'cert' | 'key'] = template;
    }
  }

  private closeRepeat(draft: BlockDraft): void {
    const r = draft.repeats.pop();
    if (!r) return;
    if (r.test !== undefined) {
      addStep(draft, this.nodes ? new IfStep(r.at, r.test, r.steps.slice(), (r.elseSteps ?? []).slice()) : undefined);
      return;
    }
    if (r.stepCount === 0 && r.lineOk) this.diagnostics.push({ severity: 'warning', message: 'this repeat has no steps', range: r.at.range() });
    addStep(draft, this.nodes ? new RepeatStep(r.at, r.count, r.everyMs, r.steps.slice(), r.until) : undefined);
  }

  /**
   * The test of `if` and `repeat … until`: a payload the last value contains, or a /regex/ it
   * matches, as `expect` has them (no `expect error`).
   */
  private test(keywords: readonly string[], what: string): Matcher {
    const { c } = this;
    if (c.atEnd()) throw new LineError(`${what} needs a test: a payload such as "OK", or a /regex/`, this.verbStart, this.verbEnd);
    if (c.peek() === 0x2f /* / */) {
      const source = c.regex(this.regexes);
      return this.nodes ? { kind: 'regex', source, flags: c.flags } : CHECKED_REGEX;
    }
    const payload = this.payload(keywords);
    return this.nodes ? { kind: 'contains', payload } : CHECKED_CONTAINS;
  }

  /** Notes where the header just parsed is, for the block's diagnostics. */
  private placeHeader(draft: BlockDraft): void {
    const at = this.at();
    draft.headerFrom = at.from;
    draft.headerTo = at.to;
  }

  /** `use NAME`: the kept connection of an earlier `connect … as NAME keep` block. Returns its transport. */
  private useHeader(draft: BlockDraft): BlockTransport {
    const { c } = this;
    const n = c.word('the name of a kept connection');
    c.expectEnd();
    const known = this.nameBefore(n.text);
    if (!known || known.kind !== 'connection') {
      throw new LineError(`no connection named "${n.text}": an earlier block must say connect … as ${n.text} keep`, n.start, n.end);
    }
    if (!known.keep) throw new LineError(`connection "${n.text}" closes at the end of its block: add keep to its connect line`, n.start, n.end);
    this.placeHeader(draft);
    if (this.nodes) draft.header = new HeaderNode(this.at(), 'use', known.transport, new TemplateNode([{ text: n.text }], this.file, this.lineStart + n.start, this.lineStart + n.end), n.text, false, undefined);
    return known.transport;
  }

  private variable(): void {
    const { c, text } = this;
    const raw = text.slice(this.lineStart, this.lineEnd);
    // A trailing comment (after whitespace) is not part of the value, as on every other line.
    c.pos = this.lineStart;
    const line = raw.slice(0, c.restEnd() - this.lineStart);
    const m = /^(\s*)@([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      // Its name is still declared: its uses are not errors too.
      const named = /^\s*@([A-Za-z_][A-Za-z0-9_-]*)/.exec(line);
      if (named) this.badlyDeclared.add(named[1]);
      throw new LineError('a variable is written @name = value', this.verbStart, raw.length);
    }
    const name = m[2];
    const valueStart = line.length - m[3].length;
    if (this.variables.has(name)) {
      this.error(`variable "${name}" is declared twice; the first value is used`, this.line, this.verbStart, this.verbEnd, 'warning');
      return;
    }
    // Variables are the file's, made by the checking pass (a building pass reads no variable line).
    this.nodes = true;
    try {
      this.variables.set(name, { name, value: this.template(this.lineStart + valueStart, this.lineStart + line.length), range: this.range(this.verbStart, line.length) });
    } catch (err) {
      this.badlyDeclared.add(name);
      throw err;
    } finally {
      this.nodes = this.makesNodes;
    }
  }

  /**
   * Parses `{{name}}` references in `text[start, end)` of the current line. `mayHaveBraces` false
   * says the caller saw no `{` there.
   */
  private template(start: number, end: number, mayHaveBraces = true): Template {
    const { codes, text, file, nodes } = this;
    const base = this.lineStart;
    if (start === end) return nodes ? new TemplateNode([], file, start, end) : CHECKED_TEXT;
    let open = mayHaveBraces ? findPair(codes, start, end, 0x7b) : -1;
    if (open < 0) return nodes ? new TextTemplate(file, start, end) : CHECKED_TEXT;
    const parts = this.parts;
    let count = 0;
    let i = start;
    while (i < end) {
      if (open < 0) {
        if (nodes) parts[count++] = { text: this.strings.slice(text, codes, i, end) };
        break;
      }
      if (open > i && nodes) parts[count++] = { text: this.strings.slice(text, codes, i, open) };
      const close = findPair(codes, open + 2, end, 0x7d);
      if (close < 0) throw new LineError('"{{" without "}}"', open - base, end - base);
      let a = open + 2;
      let b = close;
      while (a < b && isSpace(codes[a])) a++;
      while (b > a && isSpace(codes[b - 1])) b--;
      const name = this.strings.slice(text, codes, a, b);
      if (codes[a] === 0x24 /* $ */ && a < b) {
        const builtin = parseBuiltin(name, open - base, close + 2 - base);
        if (nodes) parts[count++] = new BuiltinPart(builtin, file, open, close + 2);
      } else {
        if (!isReferenceName(name)) throw new LineError(`"${name}" is not a variable name`, open - base, close + 2 - base);
        if (nodes) parts[count++] = new VariablePart(name, file, open, close + 2);
        if (!this.building) {
          this.referenceNames.push(name);
          this.referenceOffsets.push(open, close + 2);
        }
      }
      i = close + 2;
      if (i < end) open = findPair(codes, i, end, 0x7b);
    }
    return nodes ? new TemplateNode(copyOf(parts, count), file, start, end) : CHECKED_REFERENCES;
  }

  /**
   * Checks the escapes of the literal runs of a quoted string's raw text `text[start, stop)`,
   * those outside `{{…}}` (the template read from it has parsed, so each `{{` has its `}}`).
   */
  private checkStringEscapes(start: number, stop: number): void {
    const { codes, text } = this;
    let i = start;
    while (i < stop) {
      const open = findPair(codes, i, stop, 0x7b);
      const runEnd = open < 0 ? stop : open;
      if (runEnd > i) {
        try {
          checkEscapes(text.slice(i, runEnd));
        } catch (err) {
          throw errorAt(err, start - 1 - this.lineStart, stop + 1 - this.lineStart);
        }
      }
      if (open < 0) return;
      i = findPair(codes, open + 2, stop, 0x7d) + 2;
    }
  }

  /** `connect` or `listen`: returns the transport. */
  private header(verb: 'connect' | 'listen', draft: BlockDraft): BlockTransport {
    const { codes, c, text } = this;
    const base = this.lineStart;
    c.next('tcp, udp, unix or tls');
    const transport: BlockTransport | undefined = c.is('tcp') ? 'tcp' : c.is('udp') ? 'udp' : c.is('unix') ? 'unix' : c.is('tls') ? 'tls' : undefined;
    if (transport === undefined) throw this.keywordError(verb === 'connect' ? KEYWORDS.connectTransport : KEYWORDS.listenTransport, `${verb} takes tcp, udp, unix or tls, not "${c.slice()}"`);
    c.next(transport === 'unix' ? 'a socket path' : verb === 'listen' ? 'HOST:PORT or PORT' : 'HOST:PORT');
    const targetStart = c.start;
    const targetEnd = c.stop;
    const target = this.template(targetStart, targetEnd);
    if (transport !== 'unix' && allText(target)) {
      this.checkHostPort(verb, { text: text.slice(targetStart, targetEnd), start: targetStart - base, end: targetEnd - base });
    }
    let name: Token | undefined;
    let timeoutMs: Amount | undefined;
    let keep: Token | undefined;
    while (!c.atEnd()) {
      c.next('');
      if (c.is('as')) {
        const n = c.word('a name after "as"');
        if (!NAME.test(n.text)) throw new LineError(`"${n.text}" is not a name: use letters, digits, _ and -`, n.start, n.end);
        if (this.nameBefore(n.text)) throw new LineError(`the name "${n.text}" is already taken by an earlier block`, n.start, n.end);
        name = n;
      } else if (verb === 'connect' && c.is('keep')) {
        keep = c.token();
      } else if (verb === 'connect' && c.is('timeout')) {
        if (transport === 'udp') throw new LineError('a UDP connect sends nothing and does not wait; put the timeout on recv', c.start - base, c.stop - base);
        timeoutMs = this.durationOrVariable();
      } else {
        throw this.keywordError(verb === 'listen' ? KEYWORDS.listenOption : KEYWORDS.connectOption, `unexpected "${c.slice()}" (${verb === 'listen' ? 'expected "as NAME"' : 'expected "timeout DURATION", "as NAME" or "keep"'})`, `unexpected "${c.slice()}"`);
      }
    }
    if (keep && !name) throw new LineError('keep needs a name for later blocks: connect … as NAME keep', keep.start, keep.end);
    // The checking pass gives the name; a building pass finds it given (by this block: not before it).
    if (name && !this.building) this.names.set(name.text, { kind: verb === 'listen' ? 'listener' : 'connection', transport, keep: Boolean(keep), block: this.blockIndex });
    if (verb === 'connect' && transport === 'udp') draft.broadcastTarget = isBroadcastTarget(text, codes, targetStart, targetEnd);
    this.placeHeader(draft);
    if (this.nodes) draft.header = new HeaderNode(this.at(), verb, transport, target, name?.text, keep !== undefined, timeoutMs);
    return transport;
  }

  private checkHostPort(verb: 'connect' | 'listen', target: Token): void {
    try {
      const { host, port } = verb === 'listen' ? parseListenerHostPort(target.text, DEFAULT_BIND_HOST) : parseHostPort(target.text);
      if (verb === 'connect' && port === 0) throw new LineError('cannot connect to port 0', target.start, target.end);
      // By the address's bytes, not its spelling: [::0], [::ffff:0:0] and 0:PORT bind every interface too.
      if (verb === 'listen' && isWildcardAddress(host)) {
        this.error(`listening on ${host} accepts connections from other machines; 127.0.0.1 keeps the listener on this one`, this.line, target.start, target.end, 'warning');
      } else if (verb === 'listen' && !isIP(host) && host !== 'localhost') {
        this.error(`a listener binds an address; "${host}" is resolved to its first address`, this.line, target.start, target.end, 'warning');
      }
    } catch (err) {
      if (err instanceof SocketLabError) throw new LineError(err.message, target.start, target.end);
      throw err;
    }
  }

  private duration(): number {
    const { c } = this;
    c.next('a duration such as 2s or 500ms');
    const ms = durationAt(c.text, c.codes, c.start, c.stop);
    if (ms === undefined) throw this.literalRequired('a duration', '2s') ?? new LineError(`"${c.slice()}" is not a duration: write 2s, 500ms or 1m`, c.start - c.base, c.stop - c.base);
    if (ms > MAX_DURATION_MS) throw new LineError(durationTooLong(c.slice()), c.start - c.base, c.stop - c.base);
    return ms;
  }

  /**
   * A duration written out, or a word with a `{{…}}` that holds one (`{{t}}`, `{{n}}ms`), read
   * when the step runs.
   */
  private durationOrVariable(): Amount {
    const { c } = this;
    const save = c.pos;
    c.next('a duration such as 2s or 500ms');
    if (findPair(c.codes, c.start, c.stop, 0x7b) >= 0) return this.template(c.start, c.stop);
    c.pos = save;
    return this.duration();
  }

  /** `[timeout D]` at the end of a statement; `words`: its keyword slot in the verb table. */
  private optionalTimeout(words: readonly string[]): Amount | undefined {
    const { c } = this;
    if (c.atEnd()) return undefined;
    c.next('');
    if (!c.is('timeout')) throw this.keywordError(words, `unexpected "${c.slice()}" (expected "timeout DURATION")`, `unexpected "${c.slice()}"`);
    const ms = this.durationOrVariable();
    c.expectEnd();
    return ms;
  }

  /** Parses a payload: `"text"`, `hex …`, or `<<TAG` (a heredoc read from the following lines). */
  /** `keywords`: the payload's slot in the verb table (`expect` adds `error`), for "did you mean". */
  private payload(keywords: readonly string[], stopAtTimeout = false): Payload {
    const { codes, c, text } = this;
    const base = this.lineStart;
    const ch = c.peek();
    if (ch === 0x22 /* " */) {
      c.quoted();
      const { start, stop } = c;
      const template = this.template(start, stop, c.sawBrace);
      if (c.oddEscape || c.sawBrace) this.checkStringEscapes(start, stop);
      return this.nodes ? { kind: 'text', template } : CHECKED_PAYLOAD;
    }
    if (ch === 0x3c /* < */ && codes[c.pos + 1] === 0x3c) {
      const t = c.word('a heredoc tag');
      const tag = t.text.slice(2);
      if (!NAME.test(tag)) throw new LineError(`a heredoc is written <<TAG, e.g. <<END`, t.start, t.end);
      const payload: PendingHeredoc['payload'] = { kind: 'heredoc', lines: [], range: this.range(t.start, t.end) };
      this.heredoc = { tag, line: this.line, start: t.start, end: t.end, payload };
      return payload;
    }
    c.next(EXPECTED_PAYLOAD);
    if (c.is('file')) {
      c.next('a file path after "file"');
      const template = this.template(c.start, c.stop);
      return this.nodes ? { kind: 'file', template } : CHECKED_PAYLOAD;
    }
    const hex = c.is('hex');
    if (hex || c.is('base64')) {
      const kindStart = c.start - base;
      const kindEnd = c.stop - base;
      let start = -1;
      let end = -1;
      while (!c.atEnd()) {
        const save = c.pos;
        c.next('');
        if (stopAtTimeout && c.is('timeout')) {
          c.pos = save;
          break;
        }
        if (start < 0) start = c.start;
        end = c.stop;
      }
      if (start < 0) throw new LineError(hex ? 'hex needs digits, e.g. hex 47 45 54' : 'base64 needs text, e.g. base64 R0VUIC8=', kindStart, kindEnd);
      const template = this.template(start, end);
      if (allText(template)) {
        const digits = text.slice(start, end);
        try {
          if (hex) decodeHex(digits);
          else decodeBase64(digits);
        } catch (err) {
          // `recv until hex 0d0a tiemout 2s`: the misspelt timeout is the mistake, not the digits.
          if (stopAtTimeout) this.timeoutAmong(start, end);
          throw errorAt(err, start - base, end - base);
        }
      }
      if (!this.nodes) return CHECKED_PAYLOAD;
      return hex ? { kind: 'hex', template } : { kind: 'base64', template };
    }
    const message = `a payload is quoted ("${c.slice()}"), hex 47 45 54, base64 R0VU, file PATH or a heredoc (<<END)`;
    // A bare {{name}} is a payload left unquoted, not a variable in place of hex or file.
    if (findPair(codes, c.start, c.stop, 0x7b) >= 0) throw new LineError(message, c.start - base, c.stop - base);
    throw this.keywordError(keywords, message);
  }

  /** Throws the "did you mean" error for a near miss of `timeout` among the words of `text[start, end)`, if there is one. */
  private timeoutAmong(start: number, end: number): void {
    const { c } = this;
    c.pos = start;
    while (c.pos < end && !c.atEnd()) {
      c.next('');
      if (this.hint(KEYWORDS.recvTimeout, c.slice())) throw this.keywordError(KEYWORDS.recvTimeout, '', `unexpected "${c.slice()}"`);
    }
  }

  private matcher(): Matcher {
    const { codes, c, text } = this;
    const ch = c.peek();
    if (ch === 0x2f /* / */) {
      const source = c.regex(this.regexes);
      return this.nodes ? { kind: 'regex', source, flags: c.flags } : CHECKED_REGEX;
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
        const source = c.regex(this.regexes);
        pattern = { kind: 'regex', source, flags: c.flags };
      } else if (c.peek() === 0x22) pattern = { kind: 'contains', payload: this.payload(KEYWORDS.expect) };
      else {
        const t = c.word('');
        throw new LineError(`after expect error${code ? ` ${code}` : ''}, a message pattern is "text" or /regex/`, t.start, t.end);
      }
      return code ? { kind: 'error', code, pattern } : { kind: 'error', pattern };
    }
    const fact = this.factMatcher();
    if (fact) return fact;
    const payload = this.payload(KEYWORDS.expect);
    return this.nodes ? { kind: 'contains', payload } : CHECKED_CONTAINS;
  }

  /**
   * `expect time OP DURATION`, `expect bytes [OP] N`, `expect closed` and `expect tls FACT …`
   * (§8.6.1); `undefined`, the cursor where it was, when the next word is none of their keywords.
   */
  private factMatcher(): Matcher | undefined {
    const { c } = this;
    if (c.atEnd()) return undefined;
    const save = c.pos;
    c.next('');
    if (c.is('closed')) return { kind: 'closed' };
    if (c.is('time')) {
      const op = this.comparison('time', true);
      return { kind: 'time', op, ms: this.durationOrVariable() };
    }
    if (c.is('bytes')) {
      const op = this.comparison('bytes', false);
      c.next('a byte count, e.g. expect bytes 5');
      if (findPair(c.codes, c.start, c.stop, 0x7b) >= 0) return { kind: 'bytes', op, count: this.template(c.start, c.stop) };
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
      const source = c.regex(this.regexes);
      return { kind: 'tls', fact: { name, source, flags: c.flags } };
    }
    if (name === 'protocol' || name === 'cipher' || name === 'alpn' || name === 'fingerprint') {
      c.next(name === 'protocol' ? 'a protocol, e.g. TLSv1.3' : name === 'cipher' ? 'a cipher suite, e.g. TLS_AES_256_GCM_SHA384' : name === 'alpn' ? 'a protocol name, e.g. h2, or none' : 'a SHA-256 fingerprint, AB:CD:…');
      return { kind: 'tls', fact: { name, value: this.template(c.start, c.stop) } };
    }
    throw this.keywordError(KEYWORDS.expectTls, `expect tls checks ${KEYWORDS.expectTls.join(', ')}; not "${name}"`);
  }

  /** The comparison after `expect time` or `expect bytes`; `=` when none is written and `required` is false. */
  private comparison(what: string, required: boolean): Comparison {
    const { c } = this;
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

  /**
   * `capture NAME`, `capture NAME /REGEX/FLAGS`, `capture NAME line [N]` or `capture /REGEX/FLAGS`
   * (named groups). Each name it gives becomes a variable `{{NAME}}` for later steps.
   */
  private capture(draft: BlockDraft): Step | undefined {
    const { c } = this;
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
        const at = c.pos - this.lineStart;
        const source = c.regex(this.regexes);
        pattern = { source, flags: c.flags };
        if (name === undefined) {
          const groups = regexGroupNames(source, c.flags);
          if (groups.length === 0) throw new LineError('capture /regex/ without a name takes its named groups, (?P<name>…), and this regex has none: name the variable (capture NAME /regex/) or the groups', at, c.lastEnd - this.lineStart);
          for (const g of groups) {
            if (!NAME.test(g)) throw new LineError(`the group name "${g}" is not a variable name`, at, c.lastEnd - this.lineStart);
            this.captured.add(g);
          }
        } else if (regexGroupCount(source, c.flags) > 1 && regexGroupNames(source, c.flags).length === 0) {
          this.error(`capture ${name} takes the first of this regex's groups; make the others (?:…) to say so`, this.line, at, c.lastEnd - this.lineStart, 'warning');
        }
      } else if (name !== undefined) {
        const t = c.word('');
        if (t.text !== 'line') throw this.keywordError(KEYWORDS.capture, `unexpected "${t.text}" (after capture ${name}: a /regex/, or line [N])`, `unexpected "${t.text}"`);
        line = 1;
        if (!c.atEnd()) {
          const n = c.word('');
          if (!/^\d+$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > 1_000_000) throw new LineError('line takes a line number from 1 to 1000000', n.start, n.end);
          line = Number(n.text);
        }
      }
    } else if (name === undefined) {
      throw new LineError('capture takes a variable name, or a /regex/ with named groups', this.verbStart, this.verbEnd);
    }
    c.expectEnd();
    if (name !== undefined) this.captured.add(name);
    if (!draft.produces) this.error('capture reads the last receive or lookup, and none comes before it in this block', this.line, this.verbStart, this.verbEnd, 'warning');
    return this.nodes ? new CaptureStep(this.at(), name, pattern, line) : undefined;
  }

  /** `set NAME = VALUE`: NAME becomes a variable for later steps (§8.12). */
  private setStep(): Step | undefined {
    const { c } = this;
    const t = c.word('a variable name, e.g. set key = user-{{$randomInt 1 1000000}}');
    if (t.text.includes('=')) throw new LineError('set NAME = VALUE: write spaces around the "="', t.start, t.end);
    if (!NAME.test(t.text)) throw new LineError(`"${t.text}" is not a variable name: letters, digits, _ and -, starting with a letter or _`, t.start, t.end);
    const eq = c.word(`= after set ${t.text}`);
    if (eq.text !== '=') throw new LineError(`set ${t.text} = VALUE: expected "=" (with spaces around it), not "${eq.text}"`, eq.start, eq.end);
    const v = c.rest();
    if (!v.text) throw new LineError(`set ${t.text} = needs a value`, eq.start, eq.end);
    const value = this.template(this.lineStart + v.start, this.lineStart + v.end);
    this.captured.add(t.text);
    return this.nodes ? new SetStep(this.at(), t.text, value) : undefined;
  }

  /**
   * `await NAME accepted|datagram|data [N] [timeout D]`: NAME is a listener (`listen … as NAME`)
   * or a kept connection (`connect … as NAME keep`) of an earlier block, and its event is the one
   * that kind of name has: a stream listener accepts, a UDP listener receives datagrams, a
   * connection receives data.
   */
  private awaitStep(): Step | undefined {
    const { c } = this;
    const n = c.word('the name of a listener (listen … as NAME) or of a kept connection (connect … as NAME keep)');
    const known = this.nameBefore(n.text);
    if (!known) throw new LineError(`no listener or kept connection named "${n.text}": an earlier block must say listen … as ${n.text}, or connect … as ${n.text} keep`, n.start, n.end);
    if (known.kind === 'connection' && !known.keep) throw new LineError(`connection "${n.text}" closes at the end of its block: add keep to its connect line`, n.start, n.end);
    const event = known.kind === 'connection' ? 'data' : known.transport === 'udp' ? 'datagram' : 'accepted';
    const e = c.word(`what to await: await ${n.text} ${event}`);
    if (!c.is('accepted') && !c.is('datagram') && !c.is('data')) throw this.keywordError(KEYWORDS.awaitEvent, `unexpected "${e.text}" (await ${n.text} ${event})`, `unexpected "${e.text}"`);
    if (e.text !== event) {
      const what = known.kind === 'connection' ? 'a kept connection: it receives data' : known.transport === 'udp' ? 'a UDP listener: it receives datagrams' : 'a stream listener: it accepts connections';
      throw new LineError(`"${n.text}" is ${what}; write await ${n.text} ${event}`, e.start, e.end);
    }
    let count: Amount | undefined;
    const save = c.pos;
    if (!c.atEnd()) {
      c.next('');
      if (c.is('timeout')) c.pos = save;
      else if (findPair(c.codes, c.start, c.stop, 0x7b) >= 0) count = this.template(c.start, c.stop);
      else {
        const t = c.token();
        const v = /^\d+$/.test(t.text) ? Number(t.text) : NaN;
        if (!(v >= 1 && v <= MAX_AWAIT_COUNT)) throw new LineError(`await ${n.text} ${event} takes a count from 1 to ${MAX_AWAIT_COUNT} or timeout DURATION, not "${t.text}"`, t.start, t.end);
        count = v;
      }
    }
    const timeoutMs = this.optionalTimeout(KEYWORDS.awaitTimeout);
    return this.nodes ? new AwaitStep(this.at(), n.text, event, count, timeoutMs) : undefined;
  }

  /** A step line (not a header, settings or repeat line), with its source text. */
  private step(verb: string, draft: BlockDraft): Step | undefined {
    const { c } = this;
    const transport = draft.transport;
    switch (verb) {
      case 'send': {
        const payload = this.payload(KEYWORDS.send);
        c.expectEnd();
        return this.nodes ? new SendStep(this.at(), payload) : undefined;
      }
      case 'recv':
        return this.recv(transport);
      case 'expect': {
        const matcher = this.matcher();
        c.expectEnd();
        if ((matcher.kind === 'contains' || matcher.kind === 'regex' || matcher.kind === 'bytes') && !draft.produces) {
          this.error('expect checks the last receive or lookup, and none comes before it in this block', this.line, this.verbStart, this.verbEnd, 'warning');
        }
        return this.nodes ? new ExpectStep(this.at(), matcher) : undefined;
      }
      case 'close': {
        c.expectEnd();
        return this.nodes ? new BareStep(this.at(), 'close') : undefined;
      }
      case 'capture':
        return this.capture(draft);
      case 'set':
        return this.setStep();
      case 'echo': {
        if (draft.headerVerb !== 'listen') throw new LineError('echo is a listener step: it sends back what a peer sends', this.verbStart, this.verbEnd);
        const timeoutMs = this.optionalTimeout(KEYWORDS.echo);
        return this.nodes ? new EchoStep(this.at(), timeoutMs) : undefined;
      }
      case 'shutdown': {
        if (transport === 'udp') throw new LineError('shutdown half-closes a stream (TCP, Unix, TLS); UDP has no connection to close', this.verbStart, this.verbEnd);
        c.expectEnd();
        return this.nodes ? new BareStep(this.at(), 'shutdown') : undefined;
      }
      case 'wait': {
        const ms = this.durationOrVariable();
        c.expectEnd();
        return this.nodes ? new WaitStep(this.at(), ms) : undefined;
      }
      case 'await':
        return this.awaitStep();
      case 'hostname': {
        c.expectEnd();
        return this.nodes ? new BareStep(this.at(), 'hostname') : undefined;
      }
      case 'resolve': {
        c.next('a name to resolve');
        const nameStart = c.start;
        const nameEnd = c.stop;
        const t = c.word(`a record type: ${RECORD_TYPE_LIST}`);
        const recordType = t.text.toUpperCase() as RecordType;
        if (!RECORD_TYPES.includes(recordType)) throw this.keywordError(KEYWORDS.recordType, `"${t.text}" is not a record type: ${RECORD_TYPE_LIST}`, `"${t.text}" is not a record type`, recordType);
        let server: Template | undefined;
        if (!c.atEnd()) {
          const s = c.word('@SERVER');
          if (!s.text.startsWith('@') || s.text.length === 1) throw new LineError('the server is written @ADDRESS[:PORT], e.g. @127.0.0.1:5353', s.start, s.end);
          server = this.template(c.start + 1, c.stop);
          if (/^[0-9a-fA-F:]*::[0-9a-fA-F:]*:\d{2,5}$/.test(s.text.slice(1))) {
            const [, addr, port] = /^(.*):(\d+)$/.exec(s.text.slice(1)) ?? [];
            this.error(`${s.text} is the IPv6 address ${s.text.slice(1)} on port 53; for ${addr} port ${port} write @[${addr}]:${port}`, this.line, s.start, s.end, 'warning');
          }
          if (allText(server)) {
            try {
              parseNameServer(s.text.slice(1));
            } catch (err) {
              throw errorAt(err, s.start, s.end);
            }
          }
        }
        c.expectEnd();
        const target = this.template(nameStart, nameEnd);
        return this.nodes ? new ResolveStep(this.at(), target, recordType, server) : undefined;
      }
      case 'pton':
      case 'lookup': {
        c.next(verb === 'pton' ? 'an IPv4 or IPv6 address' : 'a host name or address');
        const { start, stop } = c;
        c.expectEnd();
        const target = this.template(start, stop);
        return this.nodes ? new TargetStep(this.at(), verb, target) : undefined;
      }
      case 'ntop':
      case 'ntoa': {
        const t = c.rest();
        if (!t.text) {
          const message = verb === 'ntop' ? 'ntop takes 4 or 16 bytes in hex, e.g. ntop 00000000000000000000000000000001' : 'ntoa takes 4 bytes in hex, e.g. ntoa 7f000001';
          throw new LineError(message, this.verbEnd, this.verbEnd + 1);
        }
        const target = this.template(this.lineStart + t.start, this.lineStart + t.end);
        if (verb === 'ntop') {
          if (allText(target)) checkPackedHex(t, [4, 16], 'ntop 00000000000000000000000000000001');
          return this.nodes ? new TargetStep(this.at(), 'ntop', target) : undefined;
        }
        if (allText(target)) checkPackedHex(t, [4], 'ntoa 7f000001');
        return this.nodes ? new TargetStep(this.at(), 'ntoa', target) : undefined;
      }
      case 'service': {
        c.next('a service name or port');
        const { start, stop } = c;
        let proto: 'tcp' | 'udp' = 'tcp';
        const p = c.optionalWord();
        if (p) {
          if (p.text !== 'tcp' && p.text !== 'udp') throw this.keywordError(KEYWORDS.serviceProtocol, `the protocol is tcp or udp, not "${p.text}"`);
          proto = p.text;
        }
        c.expectEnd();
        const target = this.template(start, stop);
        return this.nodes ? new ServiceStep(this.at(), target, proto) : undefined;
      }
      case 'aton': {
        c.next('an IPv4 address');
        const { start, stop } = c;
        c.expectEnd();
        const target = this.template(start, stop);
        return this.nodes ? new TargetStep(this.at(), 'aton', target) : undefined;
      }
    }
    throw new LineError(`unknown statement "${verb}"`, this.verbStart, this.verbEnd);
  }

  /** `recv`, `recv N`, `recv exactly N`, `recv line`, `recv until PAYLOAD`, `recv all`, each with an optional timeout. */
  private recv(transport: BlockTransport | undefined): Step | undefined {
    const { c } = this;
    if (c.atEnd()) {
      return this.nodes ? new RecvStep(this.at(), 'chunk', undefined, undefined, undefined) : undefined;
    }
    const save = c.pos;
    c.next('');
    const { text, start: wordStart, stop: wordEnd } = c;
    const at = wordStart - c.base;
    const to = wordEnd - c.base;
    if (findPair(c.codes, wordStart, wordEnd, 0x7b) >= 0) return this.recvStep('bytes', this.template(wordStart, wordEnd), undefined, this.optionalTimeout(KEYWORDS.recvTimeout));
    if (allDigits(c.codes, wordStart, wordEnd)) {
      const max = Number(c.slice());
      if (max < 1) throw new LineError('recv N needs N ≥ 1', at, to);
      return this.recvStep('bytes', max, undefined, this.optionalTimeout(KEYWORDS.recvTimeout));
    }
    const mode = c.is('until') ? 'until' : c.is('all') ? 'all' : c.is('line') ? 'line' : c.is('exactly') ? 'exactly' : undefined;
    if (mode !== undefined) {
      if (transport === 'udp') throw new LineError(`recv ${mode} is for streams; a UDP recv returns one datagram`, at, to);
      if (mode === 'line' || mode === 'all') return this.recvStep(mode, undefined, undefined, this.optionalTimeout(KEYWORDS.recvTimeout));
      if (mode === 'exactly') {
        const n = c.word('a byte count after "exactly"');
        if (n.text.includes('{{')) return this.recvStep('exactly', this.template(this.lineStart + n.start, this.lineStart + n.end), undefined, this.optionalTimeout(KEYWORDS.recvTimeout));
        if (!/^\d+$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > RECV_MAX_BYTES) throw this.literalRequired('a byte count', 'recv exactly 16') ?? new LineError(`recv exactly N needs a byte count from 1 to ${RECV_MAX_BYTES}`, n.start, n.end);
        return this.recvStep('exactly', Number(n.text), undefined, this.optionalTimeout(KEYWORDS.recvTimeout));
      }
      const until = this.payload(KEYWORDS.until, true);
      return this.recvStep('until', undefined, until, this.optionalTimeout(KEYWORDS.recvTimeout));
    }
    if (c.is('timeout')) {
      c.pos = save;
      return this.recvStep('chunk', undefined, undefined, this.optionalTimeout(KEYWORDS.recvTimeout));
    }
    throw this.literalRequired('a byte count', 'recv 1024') ?? this.keywordError(KEYWORDS.recv, `recv takes N, exactly N, line, until PAYLOAD, all, or nothing; not "${text.slice(wordStart, wordEnd)}"`);
  }

  /** A recv step with exactly the keys it has. */
  private recvStep(mode: RecvMode, max: Amount | undefined, until: Payload | undefined, timeoutMs: Amount | undefined): Step | undefined {
    return this.nodes ? new RecvStep(this.at(), mode, max, until, timeoutMs) : undefined;
  }

  /** Every `{{name}}` must name a file variable or a listener (`{{name.port}}` too). */
  private checkReferences(): void {
    for (const [name, what] of this.names) {
      const v = this.variables.get(name);
      if (v) this.diagnostics.push({ severity: 'error', message: `"${name}" names both a variable and a ${what.kind}; rename one`, range: v.range });
    }
    const offsets = this.referenceOffsets;
    for (let k = 0; k < this.referenceNames.length; k++) {
      const variable = this.referenceNames[k];
      const dot = variable.indexOf('.');
      const base = dot < 0 ? variable : variable.slice(0, dot);
      const field = dot < 0 ? undefined : variable.slice(dot + 1);
      const named = this.names.get(base);
      let message: string;
      if (named?.kind === 'connection') {
        message = `"${base}" is a connection: use it in a block that starts with use ${base}`;
      } else if (named) {
        if (field === undefined || field === 'host' || field === 'port' || field === 'path' || field === 'address') continue;
        message = `a listener has host, port, path and address, not "${field}"`;
      } else if (this.variables.has(base) || this.context.given.has(base) || this.captured.has(base) || this.badlyDeclared.has(base)) {
        if (field === undefined) continue;
        message = `"${base}" is a variable: write {{${base}}}; only listeners have fields such as .port`;
      } else {
        message = `unknown variable "${base}": declare it with @${base} = value, or name a listener with "as ${base}"`;
      }
      this.diagnostics.push({ severity: 'error', message, range: this.file.span(offsets[2 * k], offsets[2 * k + 1]) });
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
export function parseSock(text: string, options: ParseOptions = {}): SockFile {
  return new Parser({ file: new SourceText(text), names: new Map(), regexes: new Map(), given: options.given ?? NONE_GIVEN }, false, 1).parse();
}

/** Options of {@link parseSock}. */
export interface ParseOptions {
  /** Names of variables given from outside the file (`--var NAME=VALUE`), which `{{NAME}}` may use without `@NAME = …`. */
  readonly given?: ReadonlySet<string>;
}

const NONE_GIVEN: ReadonlySet<string> = new Set();

/**
 * Parses a `.sock` file in one pass that makes every node as it checks, as the parser did before
 * blocks built their nodes on demand. The same result as {@link parseSock}, slower; the tests
 * compare the two.
 */
export function parseSockEagerly(text: string): SockFile {
  return new Parser({ file: new SourceText(text), names: new Map(), regexes: new Map(), given: NONE_GIVEN }, false, 1, true).parse();
}

/** True when the file has at least one error (warnings do not count). */
export function hasErrors(file: SockFile): boolean {
  return file.diagnostics.some((d) => d.severity === 'error');
}
