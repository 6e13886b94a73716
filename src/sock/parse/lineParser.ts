/**
 * What every statement family's grammar shares (`header.ts`, `payloads.ts`, `receive.ts`,
 * `settings.ts`, `lookups.ts`, `flow.ts`): the current line and its cursor, the file's names and
 * variables, the diagnostics, and the pieces of grammar every family reads (templates, durations,
 * regexes, the "did you mean" errors). One per parse; `parser.ts` drives it line by line.
 */
import { regexProblem, type RegexProblem } from '../../net/regex';
import { checkEscapes } from '../../net/payload';
import { SocketLabError } from '../../net/errors';
import type { Amount, BlockTransport, Builtin, Diagnostic, Payload, Range, Template, TemplatePart, Variable } from '../ast';
import { keywordSlotAt } from '../lang/verbs';
import { closestWord } from './hints';
import { codeUnits, durationAt, durationTooLong, findPair, isDigit, isLetter, isSpace, LineCursor, lineRange, LineError, literalPayload, literalTemplate, MAX_DURATION_MS, SourceText, TextTemplate, type TemplatePayloadKind } from './lexer';

/** A name: of a variable, a listener, a connection or a heredoc tag. */
export const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * The words completion offers at word `index` of a `verb` statement (after the word `previous`):
 * the keywords that stand there, which a near miss is told.
 */
function slotWords(verb: string, index: number, previous = ''): readonly string[] {
  const slot = keywordSlotAt(verb, index, previous);
  if (slot === undefined) throw new Error(`the verb table has no keywords at word ${index} of ${verb}`);
  return slot.words;
}

/** The keywords at each place the grammar expects one, from the verb table (`lang/verbs.ts`). */
export const KEYWORDS = {
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
  forwardTransport: slotWords('forward', 1),
  forwardOption: slotWords('forward', 3),
  every: slotWords('repeat', 2),
  repeatUntil: slotWords('repeat', 3, 'until'),
  ifPayload: slotWords('if', 1),
  eol: slotWords('eol', 1),
  serviceProtocol: slotWords('service', 2),
  recordType: slotWords('resolve', 2),
  capture: slotWords('capture', 2),
  awaitEvent: slotWords('await', 2),
  awaitTimeout: slotWords('await', 4),
  starttls: slotWords('starttls', 1),
  fault: slotWords('fault', 1),
  rewriteDirection: slotWords('rewrite', 1),
  faultEvery: slotWords('fault', 3, '4'),
};

/** A name given with `as NAME`, by block `block` (1-based). */
export interface NameInfo {
  readonly kind: 'listener' | 'connection';
  readonly transport: BlockTransport;
  readonly keep: boolean;
  readonly block: number;
}

/** A `<<TAG` read on the current line, whose lines the parser reads next. */
export interface PendingHeredoc {
  readonly tag: string;
  /** The heredoc of a line with a mistake: its lines are skipped, and not being closed is no second error. */
  readonly quiet?: boolean;
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly payload: { kind: 'heredoc'; lines: Template[]; range: Range };
}

/** `text[start, end)` of the current line as a template is literal text: no `{{…}}` in it. */
export function allText(template: Template): boolean {
  if (template instanceof ReferenceTemplate) return false;
  for (const p of template.parts) if (!('text' in p)) return false;
  return true;
}

/**
 * Turns a {@link SocketLabError} of the socket core (bad address, bad payload) into a
 * {@link LineError} over columns `[start, end)`; anything else is thrown on.
 */
export function errorAt(err: unknown, start: number, end: number): LineError {
  if (err instanceof SocketLabError) return new LineError(err.message.replace(/ at offset \d+/, ''), start, end);
  throw err;
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

/** Parses the inside of `{{$…}}`: `$timestamp`, `$randomInt A B`, `$env NAME`; columns `[start, end)` for its error. */
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

/**
 * Reads the template `text[start, end)` of line `line`, which holds a `{{`: each `{{…}}` is checked
 * (an unknown built-in, a bad name, a `{{` without `}}` is a {@link LineError}), and each variable
 * it names is recorded in `parser`'s references when `parser` is given; with `parts`, the
 * template's parts are pushed into it. `base` is the offset of the line's column 0.
 */
function readTemplate(text: string, codes: Uint16Array, start: number, end: number, base: number, line: number, parts: TemplatePart[] | undefined, parser: LineParser | undefined): void {
  let i = start;
  let open = findPair(codes, start, end, 0x7b);
  while (i < end) {
    if (open < 0) {
      parts?.push({ text: text.slice(i, end) });
      break;
    }
    if (open > i) parts?.push({ text: text.slice(i, open) });
    const close = findPair(codes, open + 2, end, 0x7d);
    if (close < 0) throw new LineError('"{{" without "}}"', open - base, end - base);
    let a = open + 2;
    let b = close;
    while (a < b && isSpace(codes[a])) a++;
    while (b > a && isSpace(codes[b - 1])) b--;
    // The parse's names are shared strings (a file repeats them); the parts' are made once, when read.
    const name = parser === undefined ? text.slice(a, b) : parser.c.strings.slice(text, codes, a, b);
    if (codes[a] === 0x24 /* $ */ && a < b) {
      const builtin = parseBuiltin(name, open - base, close + 2 - base);
      parts?.push({ builtin, range: lineRange(line, open - base, close + 2 - base) });
    } else {
      if (!isReferenceName(name)) throw new LineError(`"${name}" is not a variable name`, open - base, close + 2 - base);
      parts?.push({ variable: name, range: lineRange(line, open - base, close + 2 - base) });
      if (parser !== undefined) {
        parser.referenceNames.push(name);
        parser.referenceOffsets.push(open, close + 2);
      }
    }
    i = close + 2;
    if (i < end) open = findPair(codes, i, end, 0x7b);
  }
}

/**
 * A template with `{{…}}` in it, checked when the file was parsed: its parts are read from the
 * text when first asked for, as a literal template's are (`lexer.ts`, `TextTemplate`). A
 * connect's `{{host}}:8080` made six objects at parse time, 164 of the 1,286 bytes a block of
 * the benchmark's file kept (`npm run bench`).
 */
class ReferenceTemplate extends TextTemplate {
  protected readParts(text: string, line: number, column: number): TemplatePart[] {
    const parts: TemplatePart[] = [];
    readTemplate(text, codeUnits(text), 0, text.length, -column, line, parts, undefined);
    return parts;
  }
}

/**
 * The state of one parse and the grammar every statement family shares. Columns are within the
 * current line; offsets are into the whole text.
 */
export class LineParser {
  readonly file: SourceText;
  readonly text: string;
  /** The text's code units ({@link SourceText.codes}). */
  readonly codes: Uint16Array;
  readonly c = new LineCursor();
  readonly diagnostics: Diagnostic[] = [];
  readonly variables = new Map<string, Variable>();
  /** Names given with `as NAME`: listeners (for `{{NAME}}`) and connections (for `use NAME`). */
  readonly names = new Map<string, NameInfo>();
  /** Variables whose `@name = value` line has a mistake: that line's error is their one error. */
  readonly badlyDeclared = new Set<string>();
  /** Names that `capture` and `set` steps give, anywhere in the file: `{{NAME}}` may use them. */
  readonly captured = new Set<string>();
  /**
   * What the current block gives the rest of the file, in order: each name it gives (`as NAME`)
   * and each variable its captures give. A block whose lines change and give the same can be read
   * again alone (`reparseSock`).
   */
  readonly gives: string[] = [];
  /** Every `{{name}}` read: its name, and its offsets at `2k` and `2k + 1`; checked once all names are known. */
  readonly referenceNames: string[] = [];
  readonly referenceOffsets: number[] = [];
  /** The current line: its number, the offset of its column 0, of its end (before a CR) and of its `\n` (or the text's length). */
  line = 0;
  lineStart = 0;
  lineEnd = 0;
  newline = 0;
  /** The columns of the current statement's verb. */
  verbStart = 0;
  verbEnd = 0;
  /** A `<<TAG` on the current line: the parser reads its lines next. */
  heredoc: PendingHeredoc | undefined;
  /** The number of the block being read: a name counts as given only by a block before it. */
  blockIndex = 1;
  /** Problems found for `/source/flags` literals, by flags then source; `null` for a valid one (files repeat them). */
  private readonly regexes = new Map<string, Map<string, RegexProblem | null>>();
  /** The "did you mean" word for each unknown word met, `''` for none, by the list of words it was meant to be. */
  private readonly hints = new Map<readonly string[], Map<string, string>>();

  constructor(
    text: string,
    /** Variables given from outside the file (the CLI's `--var NAME=VALUE`): `{{NAME}}` may use them undeclared. */
    readonly given: ReadonlySet<string>,
  ) {
    this.file = new SourceText(text);
    this.text = text;
    this.codes = this.file.codes;
  }

  /** The name `name` as given by a block before the current one, if any. */
  nameBefore(name: string): NameInfo | undefined {
    const known = this.names.get(name);
    return known !== undefined && known.block < this.blockIndex ? known : undefined;
  }

  /** Gives the name `name` (`as NAME`) to the blocks after the current one. */
  giveName(name: string, info: NameInfo): void {
    this.names.set(name, info);
    this.gives.push(`${name} ${info.kind} ${info.transport}${info.keep ? ' keep' : ''}`);
  }

  /** Declares the variable `name`, which a `capture`, `set` or a rule's named group gives when it runs. */
  giveCapture(name: string): void {
    this.captured.add(name);
    this.gives.push(`{{${name}}}`);
  }

  /** Makes line `line`, which starts at offset `start`, the current line. */
  setLine(line: number, start: number): void {
    const { codes, text } = this;
    let newline = text.indexOf('\n', start);
    if (newline < 0) newline = text.length;
    // CRLF files: the CR that ends a line is not part of it.
    const end = newline > start && codes[newline - 1] === 0x0d ? newline - 1 : newline;
    this.file.addLine(line, start);
    this.line = line;
    this.lineStart = start;
    this.lineEnd = end;
    this.newline = newline;
  }

  /** Reports a problem at columns `[start, end)` of line `line`. */
  error(message: string, line: number, start: number, end: number, severity: 'error' | 'warning' = 'error', replacement?: string): void {
    const range = lineRange(line, start, Math.max(end, start + 1));
    this.diagnostics.push(replacement === undefined ? { severity, message, range } : { severity, message, range, replacement });
  }

  /** A warning over the current statement's verb. */
  warnAtVerb(message: string): void {
    this.error(message, this.line, this.verbStart, this.verbEnd, 'warning');
  }

  /** An error over the current statement's verb, to throw. */
  verbError(message: string): LineError {
    return new LineError(message, this.verbStart, this.verbEnd);
  }

  /** The word of `words` that `word` is a near miss of, or `''`; remembered for the parse. */
  hint(words: readonly string[], word: string): string {
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
  keywordError(words: readonly string[], message: string, hinted = message, word = this.c.slice()): LineError {
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
  literalRequired(what: string, example: string): LineError | undefined {
    const { c } = this;
    const open = findPair(c.codes, c.start, c.stop, 0x7b);
    if (open < 0) return undefined;
    const close = findPair(c.codes, open + 2, c.stop, 0x7d);
    const end = close < 0 ? c.stop : close + 2;
    const reference = c.text.slice(open, end);
    return new LineError(`${reference} is a variable, and this place takes ${what} written out, e.g. ${example} (a listener's settings are read once, when it starts; a step's counts and durations may be variables)`, open - c.base, end - c.base);
  }

  /** Columns `[start, end)` of the current line. */
  range(start: number, end: number): Range {
    return lineRange(this.line, start, end);
  }

  /**
   * The offset where the current statement ends: where the last word read ends, trailing space
   * trimmed. Called once the statement has parsed, so a `/regex/`'s closing slash and flags count,
   * and a `#` inside the regex is part of it, not a comment (§2.3).
   */
  statementEnd(): number {
    const { c, codes } = this;
    const first = this.lineStart + this.verbStart;
    let end = c.lastEnd;
    while (end > first && isSpace(codes[end - 1])) end--;
    return end;
  }

  /** The current statement's range, from its verb to {@link statementEnd}. */
  statementRange(): Range {
    return lineRange(this.line, this.verbStart, this.statementEnd() - this.lineStart);
  }

  /** The current statement's source text, from its verb to {@link statementEnd}. */
  statementSource(): string {
    // Files repeat short statements (`recv line`, `expect "+OK"`): a repeat shares the first's string.
    return this.c.strings.slice(this.text, this.codes, this.lineStart + this.verbStart, this.statementEnd());
  }

  /**
   * Parses `{{name}}` references in `text[start, end)` of the current line. `mayHaveBraces` false
   * says the caller saw no `{` there.
   */
  template(start: number, end: number, mayHaveBraces = true): Template {
    const { codes, text } = this;
    const base = this.lineStart;
    if (start === end) return { parts: [], range: lineRange(this.line, start - base, end - base) };
    if (this.isLiteral(start, end, mayHaveBraces)) return literalTemplate(text, start, end, this.line, start - base);
    readTemplate(text, codes, start, end, base, this.line, undefined, this);
    return new ReferenceTemplate(text, start, end, this.line, start - base);
  }

  /**
   * The payload of `kind` whose template is `text[start, end)` of the current line, as
   * {@link template} reads it; a literal one is one object (`lexer.ts`, `LiteralPayload`).
   */
  payload(kind: TemplatePayloadKind, start: number, end: number, mayHaveBraces = true): Payload {
    if (start < end && this.isLiteral(start, end, mayHaveBraces)) return literalPayload(kind, this.text, start, end, this.line, start - this.lineStart);
    return { kind, template: this.template(start, end, mayHaveBraces) } as Payload;
  }

  /** Whether `text[start, end)` is literal text, without `{{…}}`; `mayHaveBraces` false says the caller saw no `{` there. */
  isLiteral(start: number, end: number, mayHaveBraces = true): boolean {
    return !mayHaveBraces || findPair(this.codes, start, end, 0x7b) < 0;
  }

  /**
   * Checks the escapes of the literal runs of a quoted string's raw text `text[start, stop)`,
   * those outside `{{…}}` (the template read from it has parsed, so each `{{` has its `}}`).
   */
  checkStringEscapes(start: number, stop: number): void {
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

  /** The last word read, a `{{…}}` in it, as a template: a count or duration read when the step runs. */
  wordTemplate(): Template {
    return this.template(this.c.start, this.c.stop);
  }

  /** A duration written out (`2s`, `500ms`, `1m`), at most {@link MAX_DURATION_MS}. */
  duration(): number {
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
  durationOrVariable(): Amount {
    const { c } = this;
    const save = c.pos;
    c.next('a duration such as 2s or 500ms');
    if (c.hasReference()) return this.wordTemplate();
    c.pos = save;
    return this.duration();
  }

  /** `[timeout D]` at the end of a statement; `words`: its keyword slot in the verb table. */
  optionalTimeout(words: readonly string[]): Amount | undefined {
    const { c } = this;
    if (c.atEnd()) return undefined;
    c.next('');
    if (!c.is('timeout')) throw this.keywordError(words, `unexpected "${c.slice()}" (expected "timeout DURATION")`, `unexpected "${c.slice()}"`);
    const ms = this.durationOrVariable();
    c.expectEnd();
    return ms;
  }

  /**
   * A `/regex/flags` literal that the runner's engine (RE2, `src/net/regex.ts`) runs: its source;
   * the cursor's `flags` hold its flags. A regex RE2 refuses is an error over the span it refused.
   */
  regex(): string {
    const { c } = this;
    c.regexLiteral();
    const source = c.strings.slice(c.text, c.codes, c.start, c.stop);
    const flags = c.flags;
    let byFlags = this.regexes.get(flags);
    if (byFlags === undefined) this.regexes.set(flags, (byFlags = new Map()));
    let problem = byFlags.get(source);
    if (problem === undefined) {
      problem = regexProblem(source, flags) ?? null;
      byFlags.set(source, problem);
    }
    if (problem) {
      // The span RE2 refused, within the literal: its source starts just after the opening slash.
      const at = c.start - c.base;
      throw new LineError(`invalid regular expression: ${problem.message}`, at + problem.start, Math.min(at + problem.end, c.lastEnd - c.base));
    }
    return source;
  }
}
