/**
 * The `.sock` lexer: how a line splits into words, read by UTF-16 code unit. The parser reads
 * statements through one {@link LineCursor}; hover and completion ask {@link tokenAt} for the word
 * under the cursor, which splits the line with the same cursor, so the two can never disagree on
 * where a word, a quoted string, a `{{…}}` or a trailing comment starts and ends (spec §2).
 *
 * The parser's speed lives here and nowhere else: the text is read from a typed-array copy of its
 * code units ({@link SourceText.codes}) rather than by `charCodeAt`, and short strings a file
 * repeats are shared ({@link Interner}).
 */
import type { Payload, Position, Range, Template, TemplatePart } from '../ast';

/**
 * A problem at columns `[start, end)` of the current line, thrown from anywhere in a statement's
 * grammar to the parser's line loop, which makes it a diagnostic. Not an `Error`: it never leaves
 * the parser, and an `Error` records a stack trace when made, which made a line with a mistake
 * cost about a hundred times a good line (a file being typed can have thousands).
 */
export class LineError {
  constructor(
    readonly message: string,
    readonly start: number,
    readonly end: number,
    /** The word that would fix `[start, end)`, for a "did you mean" hint and its quick fix. */
    readonly replacement?: string,
  ) {}
}

/** A word of a line: its text and its columns `[start, end)`. */
export interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** White space as JavaScript's `\s` and `String.prototype.trim` see it, by character code. */
export function isSpace(c: number): boolean {
  if (c < 0xa0) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

export function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** True when code units `codes[start, end)` are one or more ASCII digits (`/^\d+$/`). */
export function allDigits(codes: Uint16Array, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) if (!isDigit(codes[i])) return false;
  return true;
}

/** The offset of the first `cc` pair (`{{` with `0x7b`, `}}` with `0x7d`) wholly inside `codes[from, end)`, or -1. */
export function findPair(codes: Uint16Array, from: number, end: number, cc: number): number {
  for (let i = from; i + 1 < end; i++) {
    if (codes[i] === cc) {
      if (codes[i + 1] === cc) return i;
      i++; // the next character is not `cc`, so no pair starts there either
    }
  }
  return -1;
}

/** The code units of `text`, as {@link SourceText.codes} holds them. */
export function codeUnits(text: string): Uint16Array {
  const units = Buffer.from(text, 'utf16le');
  return new Uint16Array(units.buffer, units.byteOffset, text.length);
}

/**
 * The text being parsed and the offset where each of its lines starts, so that a position is
 * two numbers until a node needs it as a {@link Range}. Lines are added as the parse reaches them.
 */
export class SourceText {
  lineStarts = new Int32Array(256);
  lines = 0;
  /**
   * The text's UTF-16 code units, which the parser reads instead of `charCodeAt`: a typed array
   * read is the cheaper of the two in V8, a quarter of the parse's time on a 10,000-block file.
   * The copy costs about 0.2 ms per megabyte and 2 bytes per character while the parse runs.
   */
  readonly codes: Uint16Array;

  constructor(readonly text: string) {
    this.codes = codeUnits(text);
  }

  /** Records that line `line` starts at offset `start`. */
  addLine(line: number, start: number): void {
    if (line >= this.lineStarts.length) {
      // A parse of one block of a file starts at its first line, not at line 0.
      const grown = new Int32Array(Math.max(this.lineStarts.length * 2, line + 256));
      grown.set(this.lineStarts);
      this.lineStarts = grown;
    }
    this.lineStarts[line] = start;
    if (line >= this.lines) this.lines = line + 1;
  }

  /** The line that holds offset `offset` (binary search over the lines recorded so far). */
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
    return lineRange(line, start, start + to - from);
  }
}

/**
 * Ranges and literal runs are kept compact, as numbers: a file has a range for every statement,
 * template and block, and a {@link Range} of three objects apiece, or a template of four, made
 * the garbage collector copy about twice what the parse keeps otherwise, for a parse of 10,000
 * blocks twice as slow (`npm run bench`). Each is made once, in the one pass, and gives the
 * plain shape when read: `start`/`end` and `parts` are made when asked for, and `toJSON` gives
 * the plain object.
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

/** A range over several lines (a block, a heredoc); see {@link LineSpan}. */
class Span implements Range {
  constructor(
    private readonly startLine: number,
    private readonly startColumn: number,
    private readonly endLine: number,
    private readonly endColumn: number,
  ) {}

  get start(): Position {
    return { line: this.startLine, column: this.startColumn };
  }

  get end(): Position {
    return { line: this.endLine, column: this.endColumn };
  }

  toJSON(): Range {
    return { start: this.start, end: this.end };
  }
}

/** From column `startColumn` of line `startLine` to column `endColumn` of line `endLine`. */
export function rangeOf(startLine: number, startColumn: number, endLine: number, endColumn: number): Range {
  return startLine === endLine ? new LineSpan(startLine, startColumn, endColumn) : new Span(startLine, startColumn, endLine, endColumn);
}

/** Columns `[start, end)` of line `line`. */
export function lineRange(line: number, start: number, end: number): Range {
  return new LineSpan(line, start, end);
}

/**
 * A template read from `text[from, to)` on line `line` from column `column`: its `parts` are
 * read when first asked for and kept (the same array every time); see {@link LineSpan} for why.
 * A subclass says how its text reads into parts.
 */
export abstract class TextTemplate implements Template {
  readonly #text: string;
  readonly #from: number;
  readonly #to: number;
  readonly #line: number;
  readonly #column: number;
  #parts: readonly TemplatePart[] | undefined;

  constructor(text: string, from: number, to: number, line: number, column: number) {
    this.#text = text;
    this.#from = from;
    this.#to = to;
    this.#line = line;
    this.#column = column;
    this.#parts = undefined;
  }

  get parts(): readonly TemplatePart[] {
    return (this.#parts ??= this.readParts(this.#text.slice(this.#from, this.#to), this.#line, this.#column));
  }

  get range(): Range {
    return new LineSpan(this.#line, this.#column, this.#column + this.#to - this.#from);
  }

  toJSON(): Template {
    return { parts: this.parts, range: this.range };
  }

  /** The parts of `text`, the template's text, which starts at column `column` of line `line`. */
  protected abstract readParts(text: string, line: number, column: number): TemplatePart[];
}

/** A template without `{{…}}`, the usual kind: one literal run. */
class LiteralTemplate extends TextTemplate {
  protected readParts(text: string): TemplatePart[] {
    return [{ text }];
  }
}

/** The template of literal text `text[from, to)` (no `{{…}}` in it), on line `line` from column `column`. */
export function literalTemplate(text: string, from: number, to: number, line: number, column: number): Template {
  return new LiteralTemplate(text, from, to, line, column);
}

/** The payload kinds whose bytes one template gives (§6): quoted text, hex digits, base64, a file's path. */
export type TemplatePayloadKind = 'text' | 'hex' | 'base64' | 'file';

/**
 * A payload of one of those kinds whose template is literal text, `text[from, to)` on line `line`
 * from column `column` (no `{{…}}`), the usual payload: one object, where a payload and its
 * template are two. Its `template` is made when first asked for and kept; see {@link LineSpan}.
 */
class LiteralPayload {
  readonly kind: TemplatePayloadKind;
  readonly #text: string;
  readonly #from: number;
  readonly #to: number;
  readonly #line: number;
  readonly #column: number;
  #template: Template | undefined;

  constructor(kind: TemplatePayloadKind, text: string, from: number, to: number, line: number, column: number) {
    this.kind = kind;
    this.#text = text;
    this.#from = from;
    this.#to = to;
    this.#line = line;
    this.#column = column;
    this.#template = undefined;
  }

  get template(): Template {
    return (this.#template ??= new LiteralTemplate(this.#text, this.#from, this.#to, this.#line, this.#column));
  }

  toJSON(): { kind: TemplatePayloadKind; template: Template } {
    return { kind: this.kind, template: this.template };
  }
}

/** The payload of `kind` whose bytes are the literal text `text[from, to)` (no `{{…}}` in it), on line `line` from column `column`. */
export function literalPayload(kind: TemplatePayloadKind, text: string, from: number, to: number, line: number, column: number): Payload {
  return new LiteralPayload(kind, text, from, to, line, column) as Payload;
}

/**
 * The longest slice {@link Interner} shares. V8 copies a slice of fewer than 13 characters; a
 * longer one is a sliced string, a pointer into the text that costs no copy. Comparing a long
 * slice with the one shared before cost more than its 32 bytes: with statements shared up to 48
 * characters, comparing code units was the parse's costliest line, and the 10,000-block parse of
 * `npm run bench` ran about 15% slower at its fastest than with sliced strings.
 */
const INTERNED_LENGTH = 12;

/**
 * Strings of at most {@link INTERNED_LENGTH} characters that a file repeats (`{{name}}` names,
 * literal runs, regex sources, whole statements such as `recv line`): a slice equal to one made
 * earlier in the same parse is that string again, not another copy. 256 slots by the length and
 * the first and last characters, a slot keeping the last string that went to it (hashing every
 * character cost more than the copies it saved).
 */
export class Interner {
  private readonly slots = new Array<string>(256).fill('');
  /** Where in the text each slot's string was sliced from, to compare code units with. */
  private readonly at = new Int32Array(256);

  /** `text.slice(from, to)`; `codes` are `text`'s code units, the same text on every call. */
  slice(text: string, codes: Uint16Array, from: number, to: number): string {
    const n = to - from;
    if (n <= 0 || n > INTERNED_LENGTH) return text.slice(from, to);
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
 * Reads one line of the text word by word, by offsets into the whole text; `#` or `//` after
 * whitespace starts a trailing comment. A quoted string is one word, spaces included; a `{{…}}`
 * is part of its word even with spaces inside (`{{$env NAME}}`). The last word read is
 * `text[start, stop)`; columns are offsets minus `base`.
 */
export class LineCursor {
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
  /**
   * Set by {@link quoted}: the string holds a `{`, so it may hold `{{…}}`; it holds an escape that
   * is not one of `\r \n \t \0 \\ \" \xHH`, so the payload codec must judge it.
   */
  sawBrace = false;
  oddEscape = false;
  /** Set by {@link regex}: the flags of the literal read. */
  flags = '';
  /** Shares the regex sources and flags a file repeats. */
  readonly strings = new Interner();

  reset(text: string, codes: Uint16Array, base: number, end: number): void {
    this.text = text;
    this.codes = codes;
    this.base = base;
    this.end = end;
    this.pos = base;
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

  /** Reads the next word into `[start, stop)`; `what` names what was expected there, for the error at the end of the line. */
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

  /** True when the next word is `word`; the cursor stays where it was. */
  nextIs(word: string): boolean {
    if (this.atEnd()) return false;
    const save = this.pos;
    this.next('');
    const yes = this.is(word);
    this.pos = save;
    return yes;
  }

  /** True when the last word read holds a `{{`. */
  hasReference(): boolean {
    return findPair(this.codes, this.start, this.stop, 0x7b) >= 0;
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

  /**
   * A `/regex/flags` literal, whose `#` and spaces are its own (§2.3): `[start, stop)` is its
   * source between the slashes, {@link flags} its flags (lowercase letters after the closing slash).
   */
  regexLiteral(): void {
    this.skipSpace();
    const { codes, end } = this;
    const open = this.pos;
    let i = open + 1;
    while (i < end) {
      const c = codes[i];
      if (c === 0x2f) break;
      i += c === 0x5c ? 2 : 1;
    }
    if (i >= end) throw new LineError('unterminated regular expression: add the closing /', open - this.base, end - this.base);
    let j = i + 1;
    while (j < end) {
      const c = codes[j];
      if (c < 97 || c > 122) break;
      j++;
    }
    this.flags = j === i + 1 ? '' : this.strings.slice(this.text, codes, i + 1, j);
    this.start = open + 1;
    this.stop = i;
    this.pos = this.lastEnd = j;
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

const DURATION = /^(\d+(?:\.\d+)?)(us|ms|s|m)$/;

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
 * Parses a duration: `500ms`, `2s`, `1.5s`, `1m`, or `20us` (microseconds, for the rates of
 * `repeat … every`: 20us is 50,000 rounds a second).
 * @returns milliseconds: whole ones for `ms`, `s` and `m`, to 0.001 for `us`; `undefined` when
 *   `text` is not a duration; the caller checks {@link MAX_DURATION_MS}
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  if (m[2] === 'us') return Math.round(Number(m[1])) / 1000;
  const scale = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000;
  return Math.round(Number(m[1]) * scale);
}

/** {@link parseDuration} of `text[start, end)`, without a slice for the usual whole numbers (`2s`, `500ms`). */
export function durationAt(text: string, codes: Uint16Array, start: number, end: number): number | undefined {
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

/** The words of one line as {@link LineCursor} reads them, up to a trailing comment; columns within the line. */
export function lineTokens(line: string): Token[] {
  const c = new LineCursor();
  c.reset(line, codeUnits(line), 0, line.length);
  const out: Token[] = [];
  while (!c.atEnd()) out.push(c.word(''));
  return out;
}

/** What {@link tokenAt} finds at an offset. */
export interface TokenAt {
  /** The offset's line (0-based) and column. */
  readonly line: number;
  readonly column: number;
  /** The line's words as the parser reads them ({@link lineTokens}). */
  readonly tokens: readonly Token[];
  /**
   * The word at the column: `tokens[index]` when the column is within a word or just past its
   * last character (where completion types); otherwise the index a word typed there would take.
   */
  readonly index: number;
  /** True when `tokens[index]` is a word that holds the column or ends at it. */
  readonly inWord: boolean;
}

/**
 * The word at `offset` of `text`, read as the parser reads it, for hover and completion. A line
 * ends at `\n`; a CRLF file's `\r` is not part of the line.
 */
export function tokenAt(text: string, offset: number): TokenAt {
  const at = Math.max(0, Math.min(offset, text.length));
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  let lineEnd = text.indexOf('\n', at);
  if (lineEnd < 0) lineEnd = text.length;
  if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 0x0d) lineEnd--;
  let line = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < lineStart; i = text.indexOf('\n', i + 1)) line++;
  const column = at - lineStart;
  const tokens = lineTokens(text.slice(lineStart, lineEnd));
  let index = 0;
  while (index < tokens.length && tokens[index].end < column) index++;
  const inWord = index < tokens.length && tokens[index].start <= column;
  return { line, column, tokens, index, inWord };
}
