/**
 * The `.sock` parser: text in, a {@link SockFile} of plain objects out (`ast.ts`), with every error
 * and warning found. It never throws on bad input: a malformed line becomes a diagnostic and
 * parsing goes on with the next line. The language is specified in `docs/sock-language.md`; its
 * statements are declared in `lang/verbs.ts`.
 *
 * One pass, line by line: this module reads the lines, keeps the blocks, heredocs and `@name`
 * variables, and hands each statement to its family's grammar in `parse/` (header, payloads,
 * receive, settings, lookups, flow), which read the line's words through the shared lexer
 * (`parse/lexer.ts`) and state (`parse/lineParser.ts`).
 */
import type { Block, Diagnostic, Range, SockFile, Step } from './ast';
import { VERBS, type VerbSpec } from './lang/verbs';
import { BlockDraft, NO_POLICY, NO_TLS, NO_UDP } from './parse/blockDraft';
import { closeGroup, openGroup, parseAwait, parseElse, parseEnd, parseFault, parseIf, parseOn, parseRepeat, parseSet, parseWait } from './parse/flow';
import { nameOfBrokenHeader, parseHeader, parseStarttls, parseUseHeader } from './parse/header';
import { isSpace, LineError, rangeOf } from './parse/lexer';
import { LineParser, type NameInfo } from './parse/lineParser';
import { changedLines } from './parse/textChange';
import { parseLookup, type LookupVerb } from './parse/lookups';
import { parseEnding, parseSend } from './parse/payloads';
import { parseCapture, parseEcho, parseForward, parseExpect, parseRecv } from './parse/receive';
import { parseEol, parseLoad, parsePolicy, parseTlsSetting, parseUdpSetting } from './parse/settings';

/** A step's grammar: reads the rest of the current line (and the block so far) into a step. */
type StepGrammar = (p: LineParser, draft: BlockDraft, verb: string) => Step;

const lookup: StepGrammar = (p, _draft, verb) => parseLookup(p, verb as LookupVerb);

/** The grammar of each step verb of the verb table; a verb the table adds without one stops the module from loading. */
const STEP_GRAMMARS: Readonly<Record<string, StepGrammar>> = {
  send: (p) => parseSend(p),
  recv: (p, draft) => parseRecv(p, draft.transport),
  expect: (p, draft) => parseExpect(p, draft),
  capture: (p, draft) => parseCapture(p, draft),
  set: (p) => parseSet(p),
  echo: (p, draft) => parseEcho(p, draft),
  forward: (p, draft) => parseForward(p, draft),
  close: (p) => parseEnding(p, 'close', undefined),
  starttls: (p, draft) => parseStarttls(p, draft),
  shutdown: (p, draft) => parseEnding(p, 'shutdown', draft.transport),
  reset: (p, draft) => parseEnding(p, 'reset', draft.transport),
  fault: (p, draft) => parseFault(p, draft),
  wait: (p) => parseWait(p),
  await: (p) => parseAwait(p),
  hostname: lookup,
  lookup,
  resolve: lookup,
  service: lookup,
  aton: lookup,
  ntoa: lookup,
  pton: lookup,
  ntop: lookup,
};

/** What the parser does with a verb: a header, a settings line, a block structure line or a step. */
const enum VerbClass {
  Header,
  Policy,
  Tls,
  Udp,
  Load,
  Repeat,
  If,
  On,
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
    case 'on':
      return VerbClass.On;
    case 'else':
      return VerbClass.Else;
    case 'end':
      return VerbClass.End;
    case 'setting':
      return v.settingOf === 'listener' ? VerbClass.Policy : v.settingOf === 'tls' ? VerbClass.Tls : v.settingOf === 'udp' ? VerbClass.Udp : v.settingOf === 'load' ? VerbClass.Load : VerbClass.Eol;
    default:
      return v.placement.headers.includes('none') ? VerbClass.Step : VerbClass.ChannelStep;
  }
}

/** A verb and what the parser does with it; `produces`: its step leaves something for `expect` to check. */
interface VerbInfo {
  readonly verb: string;
  readonly verbClass: VerbClass;
  readonly produces: boolean;
  readonly grammar?: StepGrammar;
}

function verbInfo(v: VerbSpec): VerbInfo {
  const verbClass = verbClassOf(v);
  if (verbClass !== VerbClass.Step && verbClass !== VerbClass.ChannelStep) return { verb: v.name, verbClass, produces: v.produces };
  const grammar = STEP_GRAMMARS[v.name];
  if (grammar === undefined) throw new Error(`the verb table's step "${v.name}" has no grammar in the parser`);
  return { verb: v.name, verbClass, produces: v.produces, grammar };
}

/** The verbs by name, in the verb table's order (the order "did you mean" tries them). */
const VERB_INFO: ReadonlyMap<string, VerbInfo> = new Map(VERBS.map((v) => [v.name, verbInfo(v)]));
const ALL_VERBS = VERBS.map((v) => v.name);

/** The verbs by first character (ASCII) and length, at `code * 16 + length`, to find a line's verb without slicing it. */
const VERB_TABLE: (VerbInfo[] | undefined)[] = new Array<VerbInfo[] | undefined>(128 * 16).fill(undefined);
for (const info of VERB_INFO.values()) {
  const verb = info.verb;
  // verbAt reads only these keys: a longer or non-ASCII verb would never be found.
  if (verb.length >= 16 || verb.charCodeAt(0) >= 128) throw new Error(`verb "${verb}" does not fit the parser's verb table`);
  const key = verb.charCodeAt(0) * 16 + verb.length;
  VERB_TABLE[key] = [...(VERB_TABLE[key] ?? []), info];
}

/** The verb written at `codes[start, end)`, or `undefined`. */
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

/**
 * What a parse knew across its blocks that its {@link SockFile} does not say, kept beside the
 * file (by identity) for {@link reparseSock}: the names given, the badly declared variables, what
 * each block gives the rest (`LineParser.gives`, joined), and the variables given from outside.
 */
interface FileContext {
  readonly names: ReadonlyMap<string, NameInfo>;
  readonly badlyDeclared: ReadonlySet<string>;
  readonly gives: ReadonlyMap<number, string>;
  readonly given: ReadonlySet<string>;
}

const CONTEXTS = new WeakMap<SockFile, FileContext>();

/** Reads a whole file, line by line, into blocks; one per parse. */
class FileParser {
  private readonly p: LineParser;
  private readonly blocks: Block[] = [];
  /** What each block gives the rest of the file, by block index (blocks that give something). */
  private readonly gives = new Map<number, string>();
  /** The index of the first block read: 1, or the block a one-block parse reads. */
  private firstIndex = 1;
  /** A `@name = value` line was read. */
  private sawVariable = false;

  constructor(text: string, given: ReadonlySet<string>) {
    this.p = new LineParser(text, given);
  }

  parse(): SockFile {
    const { p } = this;
    const draft = new BlockDraft();
    p.setLine(0, 0);
    this.readLines(draft, Infinity);
    this.finishBlock(draft, p.line, p.lineEnd - p.lineStart);
    this.checkReferences(true);
    const file: SockFile = { blocks: this.blocks, variables: p.variables, diagnostics: p.diagnostics, ...(p.captured.size > 0 ? { captured: p.captured } : {}) };
    CONTEXTS.set(file, { names: p.names, badlyDeclared: p.badlyDeclared, gives: this.gives, given: p.given });
    return file;
  }

  /**
   * Reads block `old`'s lines again, from this parser's text (the file after a change within
   * them), as the whole file's parse would read them given what the rest of the file declares
   * (`before`, `context`). `start` is the offset of the block's first line.
   * @returns the block and the diagnostics of its lines, or `undefined` when the block now gives
   *   the rest of the file something else or declares a file variable: then only a whole parse
   *   is right
   */
  reparseBlock(old: Block, start: number, before: SockFile, context: FileContext): { block: Block; diagnostics: Diagnostic[] } | undefined {
    const { p } = this;
    // The names of the blocks before it, as a whole parse has them when it reaches the block.
    for (const [name, info] of context.names) if (info.block < old.index) p.names.set(name, info);
    this.firstIndex = p.blockIndex = old.index;
    const draft = new BlockDraft();
    p.setLine(old.range.start.line, start);
    this.readLines(draft, old.range.end.line);
    if (this.sawVariable || p.line !== old.range.end.line) return undefined;
    this.finishBlock(draft, p.line, p.lineEnd - p.lineStart);
    if (this.blocks.length !== 1 || (this.gives.get(old.index) ?? '') !== (context.gives.get(old.index) ?? '')) return undefined;
    // The block gives what it gave: the file's names and captures are as they were.
    for (const [name, info] of context.names) if (info.block > old.index && !p.names.has(name)) p.names.set(name, info);
    for (const [name, v] of before.variables) p.variables.set(name, v);
    for (const name of before.captured ?? []) p.captured.add(name);
    for (const name of context.badlyDeclared) p.badlyDeclared.add(name);
    this.checkReferences(false);
    return { block: this.blocks[0], diagnostics: p.diagnostics };
  }

  /** Reads lines into blocks from the current line through line `last` (or the text's end). */
  private readLines(draft: BlockDraft, last: number): void {
    const { p } = this;
    const { codes, text } = p;
    let previousLength = 0;
    for (;;) {
      const start = p.lineStart;
      const end = p.lineEnd;
      let i = start;
      while (i < end && isSpace(codes[i])) i++;
      if (i < end) {
        const ch = codes[i];
        if (ch === 0x23 /* # */) {
          if (codes[i + 1] === 0x23 && codes[i + 2] === 0x23) {
            this.finishBlock(draft, p.line - 1, previousLength);
            let t = i + 3;
            while (t < end && isSpace(codes[t])) t++;
            let e = end;
            while (e > t && isSpace(codes[e - 1])) e--;
            draft.reset(false, t, e, p.line);
          }
          // Otherwise a comment line.
        } else if (!(ch === 0x2f /* / */ && codes[i + 1] === 0x2f)) {
          try {
            this.statement(draft, i);
          } catch (err) {
            if (!(err instanceof LineError)) throw err;
            p.error(err.message, p.line, err.start, err.end, 'error', err.replacement);
            if (!p.heredoc) this.heredocOfBrokenLine();
          }
          if (p.heredoc) this.readHeredoc();
        }
      }
      if (p.newline >= text.length || p.line >= last) break;
      previousLength = p.lineEnd - p.lineStart;
      p.setLine(p.line + 1, p.newline + 1);
    }
  }

  /** Ends a block whose last line is `lastLine`, `lastLength` characters long. */
  private finishBlock(draft: BlockDraft, lastLine: number, lastLength: number): void {
    const { p } = this;
    while (draft.groups.length > 0) {
      const open = draft.groups[draft.groups.length - 1];
      // A group whose line had a mistake has its error already.
      const verb = open.on !== undefined ? 'on' : open.test !== undefined ? 'if' : 'repeat';
      if (open.lineOk) p.diagnostics.push({ severity: 'error', message: `${verb} without end: add a line "end" after its steps`, range: open.range });
      closeGroup(p, draft);
    }
    if (draft.preamble && !draft.hasStatements) return;
    const headerRange = (): Range => p.file.span(draft.headerFrom, draft.headerTo);
    // A header line with a mistake has its error; what the block's other lines ask of its header
    // would be a second error about the same line (and would have no range to point at).
    const headerPlaced = draft.headerTo > draft.headerFrom;
    if (headerPlaced && draft.headerVerb === 'listen' && draft.transport === 'tls' && !draft.settingsBroken) {
      const t = draft.tls ?? NO_TLS;
      if (t.selfSigned && (t.cert || t.key)) p.diagnostics.push({ severity: 'error', message: 'self-signed makes its own certificate: drop cert and key, or self-signed', range: headerRange() });
      else if (!t.selfSigned && !(t.cert && t.key)) p.diagnostics.push({ severity: 'error', message: 'listen tls needs cert FILE and key FILE, or self-signed', range: headerRange() });
    }
    if (draft.tlsLineOfTcp && !draft.starttls) {
      p.diagnostics.push({ severity: 'error', message: 'TLS lines in a connect tcp block are for its starttls step, and it has none: add starttls, or connect tls', range: draft.tlsLineOfTcp });
    }
    if (headerPlaced && draft.headerVerb === 'connect' && (draft.transport === 'tls' || draft.starttls) && !draft.settingsBroken && Boolean(draft.tls?.cert) !== Boolean(draft.tls?.key)) {
      p.diagnostics.push({ severity: 'error', message: "a client certificate needs both cert FILE and key FILE (mutual TLS)", range: headerRange() });
    }
    if (headerPlaced && draft.broadcastTarget && !draft.udp?.broadcast && !draft.settingsBroken) {
      p.diagnostics.push({ severity: 'error', message: "sending to the broadcast address needs a broadcast line in the block (SO_BROADCAST, as Node's setBroadcast requires)", range: headerRange() });
    }
    if (draft.load && draft.header?.keep) {
      p.diagnostics.push({ severity: 'error', message: "a load opens and closes a connection per session: it keeps none (drop keep, or the load line)", range: draft.load.range });
    }
    if (draft.loadExpect && !draft.load) {
      p.diagnostics.push({ severity: 'error', message: 'this expect checks a load as a whole: add a load line to the block, e.g. load 10 clients', range: draft.loadExpect });
    }
    // A block always ends on its last line (the line before the next ###, or the file's last line).
    const index = this.firstIndex + this.blocks.length;
    if (p.gives.length > 0) {
      this.gives.set(index, p.gives.join('\n'));
      p.gives.length = 0;
    }
    const endLine = Math.max(lastLine, draft.startLine);
    const title = p.text.slice(draft.titleFrom, draft.titleTo);
    const range = rangeOf(draft.startLine, 0, endLine, lastLength);
    const { header, eol } = draft;
    const steps = draft.takeSteps();
    const policy = draft.policy ?? NO_POLICY;
    const tls = draft.tls ?? NO_TLS;
    const udp = draft.udp ?? NO_UDP;
    const block: Block = header === undefined ? { index, title, range, steps, eol, policy, tls, udp } : { index, title, range, header, steps, eol, policy, tls, udp };
    this.blocks.push(draft.load ? { ...block, load: draft.load } : block);
    p.blockIndex = index + 1;
  }

  /** Reads the lines of a pending heredoc, up to its closing tag (or the next `###` block). */
  private readHeredoc(): void {
    const { p } = this;
    const h = p.heredoc;
    if (h === undefined) return;
    p.heredoc = undefined;
    const { codes, text } = p;
    const body = h.payload.lines;
    let closed = false;
    while (p.newline < text.length) {
      const previousStart = p.lineStart;
      p.setLine(p.line + 1, p.newline + 1);
      let a = p.lineStart;
      let b = p.lineEnd;
      while (a < b && isSpace(codes[a])) a++;
      while (b > a && isSpace(codes[b - 1])) b--;
      if (b - a === h.tag.length && text.startsWith(h.tag, a)) {
        closed = true;
        break;
      }
      if (text.startsWith('###', a) && a + 3 <= b) {
        // The ### line is the next block's: the heredoc ends on the line before it.
        p.setLine(p.line - 1, previousStart);
        break;
      }
      try {
        body.push(p.template(p.lineStart, p.lineEnd));
      } catch (err) {
        if (!(err instanceof LineError)) throw err;
        p.error(err.message, p.line, err.start, err.end);
      }
    }
    if (!closed && !h.quiet) p.error(`heredoc <<${h.tag} is not closed: add a line "${h.tag}" before the next ### block`, h.line, h.start, h.end);
    // Its range ends at the end of its last line.
    h.payload.range = rangeOf(h.line, h.start, p.line, p.lineEnd - p.lineStart);
  }

  /**
   * After a line with a mistake: a `<<TAG` on it (a bad tag such as `<<"END"` too, read as `END`)
   * still owns the lines up to `TAG`, so they are not read as statements, each an error of its own.
   */
  private heredocOfBrokenLine(): void {
    const { p } = this;
    const { c, codes, text } = p;
    // Most lines with a mistake have no `<<`: found without reading their words.
    let i = p.lineStart + p.verbEnd;
    while (i < p.lineEnd && !(codes[i] === 0x3c && codes[i + 1] === 0x3c)) i++;
    if (i >= p.lineEnd) return;
    c.reset(text, codes, p.lineStart, p.lineEnd);
    c.pos = p.lineStart + p.verbEnd;
    while (!c.atEnd()) {
      c.next('');
      if (codes[c.start] !== 0x3c || codes[c.start + 1] !== 0x3c) continue;
      const tag = text.slice(c.start + 2, c.stop).replace(/^-/, '').replace(/^(["'])(.*)\1$/, '$2');
      if (tag === '') return;
      const start = c.start - c.base;
      const end = c.stop - c.base;
      p.heredoc = { tag, quiet: true, line: p.line, start, end, payload: { kind: 'heredoc', lines: [], range: p.range(start, end) } };
      return;
    }
  }

  /** Parses the statement of the current line; its first word starts at offset `first`. */
  private statement(draft: BlockDraft, first: number): void {
    const { p } = this;
    const { codes, text, c } = p;
    const base = p.lineStart;
    c.reset(text, codes, base, p.lineEnd);
    // The first word: the line is not blank and not a comment, so there is one.
    c.pos = first;
    c.start = first;
    c.skipWord();
    const verbEnd = c.pos;
    c.stop = c.lastEnd = verbEnd;
    p.verbStart = first - base;
    p.verbEnd = verbEnd - base;
    if (codes[first] === 0x40 /* @ */) {
      // A block that declares a file variable (or tries to) cannot be read again alone.
      this.sawVariable = true;
      p.gives.push('@');
      this.variable();
      return;
    }
    const found = verbAt(codes, first, verbEnd);
    if (found === undefined) {
      const verb = text.slice(first, verbEnd);
      const hint = p.hint(ALL_VERBS, verb);
      if (hint) this.nearMiss(draft, hint);
      throw new LineError(`unknown statement "${verb}"${hint ? ` (did you mean "${hint}"?)` : ''}`, p.verbStart, p.verbEnd, hint || undefined);
    }
    const { verb, verbClass, produces } = found;
    const setting = verbClass === VerbClass.Policy || verbClass === VerbClass.Tls || verbClass === VerbClass.Udp || verbClass === VerbClass.Load || verbClass === VerbClass.Eol;
    // After forward: rules that answer in the relay's place (streams), their steps, and settings.
    if (draft.forwarded && draft.groups.length === 0 && !setting && verbClass !== VerbClass.On) throw p.verbError('after forward come only rules (on … end), which answer in the relay\'s place, and settings: it relays the rest until both peers have closed');
    if (draft.responder && draft.groups.length === 0 && !setting && verbClass !== VerbClass.On && verbClass !== VerbClass.End) {
      throw p.verbError('after a rule come only more rules (on … end) and settings: the block\'s own steps go before its first rule');
    }
    if ((verb === 'recv' || verb === 'echo' || verb === 'forward') && draft.groups.length > 0 && draft.groups.some((g) => g.on !== undefined)) {
      throw p.verbError(`a rule answers the message its block read: no ${verb} in it (the messages line says how messages are cut)`);
    }
    switch (verbClass) {
      case VerbClass.Header: {
        const v = verb as 'connect' | 'listen' | 'use';
        if (draft.headerVerb) throw p.verbError(`a block has one connect, listen or use; start a new block with ### before this one`);
        if (draft.hasSteps()) throw p.verbError(`${v} must be the first statement of its block`);
        draft.headerVerb = v;
        draft.hasStatements = true;
        try {
          draft.transport = v === 'use' ? parseUseHeader(p, draft) : parseHeader(p, v, draft);
        } catch (err) {
          if (v !== 'use') nameOfBrokenHeader(p, v);
          throw err;
        }
        return;
      }
      case VerbClass.Policy:
        parsePolicy(p, verb, draft);
        return;
      case VerbClass.Tls:
        draft.hasStatements = true;
        try {
          parseTlsSetting(p, verb, draft);
        } catch (err) {
          draft.settingsBroken = true;
          throw err;
        }
        return;
      case VerbClass.Udp:
        try {
          parseUdpSetting(p, verb, draft);
        } catch (err) {
          draft.settingsBroken = true;
          throw err;
        }
        return;
      case VerbClass.Load:
        parseLoad(p, draft);
        return;
      case VerbClass.Repeat:
        parseRepeat(p, draft);
        return;
      case VerbClass.If:
        parseIf(p, draft);
        return;
      case VerbClass.On:
        parseOn(p, draft);
        return;
      case VerbClass.Else:
        parseElse(p, draft);
        return;
      case VerbClass.End:
        parseEnd(p, draft);
        return;
      case VerbClass.Eol:
        parseEol(p, draft);
        return;
      case VerbClass.ChannelStep:
        // A receive with a mistake still leaves the expects after it something to check.
        if (produces) draft.produces = true;
        draft.hasStatements = true;
        if (!draft.headerVerb) throw p.verbError(`${verb} needs a connection: start the block with connect, listen or use`);
        break;
    }
    // A lookup's step is `step`, but `expect` reads `produces` before its own step is added.
    if (produces) draft.produces = true;
    draft.hasStatements = true;
    draft.addStep((found.grammar as StepGrammar)(p, draft, verb));
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
        if (!draft.headerVerb && !draft.hasSteps()) draft.headerVerb = hint as 'connect' | 'listen' | 'use';
        break;
      case VerbClass.Tls:
      case VerbClass.Udp:
        draft.settingsBroken = true;
        break;
      case VerbClass.Repeat:
        openGroup(this.p, draft);
        break;
    }
    draft.hasStatements = true;
  }

  /** `@name = value`: a file variable. */
  private variable(): void {
    const { p } = this;
    const { c, text } = p;
    const raw = text.slice(p.lineStart, p.lineEnd);
    // A trailing comment (after whitespace) is not part of the value, as on every other line.
    c.pos = p.lineStart;
    const line = raw.slice(0, c.restEnd() - p.lineStart);
    const m = /^(\s*)@([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      // Its name is still declared: its uses are not errors too.
      const named = /^\s*@([A-Za-z_][A-Za-z0-9_-]*)/.exec(line);
      if (named) p.badlyDeclared.add(named[1]);
      throw new LineError('a variable is written @name = value', p.verbStart, raw.length);
    }
    const name = m[2];
    const valueStart = line.length - m[3].length;
    if (p.variables.has(name)) {
      p.warnAtVerb(`variable "${name}" is declared twice; the first value is used`);
      return;
    }
    try {
      p.variables.set(name, { name, value: p.template(p.lineStart + valueStart, p.lineStart + line.length), range: p.range(p.verbStart, line.length) });
    } catch (err) {
      p.badlyDeclared.add(name);
      throw err;
    }
  }

  /**
   * Every `{{name}}` must name a file variable or a listener (`{{name.port}}` too); with
   * `clashes`, no name may be both a variable and a listener's or connection's.
   */
  private checkReferences(clashes: boolean): void {
    const { p } = this;
    if (clashes) {
      for (const [name, what] of p.names) {
        const v = p.variables.get(name);
        if (v) p.diagnostics.push({ severity: 'error', message: `"${name}" names both a variable and a ${what.kind}; rename one`, range: v.range });
      }
    }
    const offsets = p.referenceOffsets;
    for (let k = 0; k < p.referenceNames.length; k++) {
      const variable = p.referenceNames[k];
      const dot = variable.indexOf('.');
      const base = dot < 0 ? variable : variable.slice(0, dot);
      const field = dot < 0 ? undefined : variable.slice(dot + 1);
      const named = p.names.get(base);
      let message: string;
      if (named?.kind === 'connection') {
        message = `"${base}" is a connection: use it in a block that starts with use ${base}`;
      } else if (named) {
        if (field === undefined || field === 'host' || field === 'port' || field === 'path' || field === 'address') continue;
        message = `a listener has host, port, path and address, not "${field}"`;
      } else if (p.variables.has(base) || p.given.has(base) || p.captured.has(base) || p.badlyDeclared.has(base)) {
        if (field === undefined) continue;
        message = `"${base}" is a variable: write {{${base}}}; only listeners have fields such as .port`;
      } else {
        message = `unknown variable "${base}": declare it with @${base} = value, or name a listener with "as ${base}"`;
      }
      p.diagnostics.push({ severity: 'error', message, range: p.file.span(offsets[2 * k], offsets[2 * k + 1]) });
    }
    p.diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
  }
}

/** Options of {@link parseSock}. */
export interface ParseOptions {
  /** Names of variables given from outside the file (`--var NAME=VALUE`), which `{{NAME}}` may use without `@NAME = …`. */
  readonly given?: ReadonlySet<string>;
}

const NONE_GIVEN: ReadonlySet<string> = new Set();

/**
 * Parses a `.sock` file.
 *
 * @param text the file's contents (LF or CRLF line endings)
 * @returns the blocks, the variables and every diagnostic; never throws for bad input
 */
export function parseSock(text: string, options: ParseOptions = {}): SockFile {
  return new FileParser(text, options.given ?? NONE_GIVEN).parse();
}

/**
 * Parses `text`, a change of `before.text` whose parse is `before.file`: as {@link parseSock}
 * would, but when the change stays within the lines of one block, keeps the same number of lines,
 * and the block gives the rest of the file what it gave (its `as NAME`, its captures) and declares
 * no file variable, only that block is read again; every other block is the same object as in
 * `before.file`. A 10,000-block file takes about a millisecond so instead of 20–30
 * (`npm run bench`). Anything else is a whole parse.
 */
export function reparseSock(before: { readonly text: string; readonly file: SockFile }, text: string, options: ParseOptions = {}): SockFile {
  const given = options.given ?? NONE_GIVEN;
  const context = CONTEXTS.get(before.file);
  if (context === undefined || !sameSet(context.given, given)) return parseSock(text, options);
  if (text === before.text) return before.file;
  const change = changedLines(before.text, text);
  if (change === undefined) return parseSock(text, options);
  const blocks = before.file.blocks;
  // The one block whose lines hold the whole change, found by its first line.
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (blocks[mid].range.start.line <= change.firstLine) lo = mid;
    else hi = mid - 1;
  }
  const old = blocks[lo];
  // The text before the first ### (a block only when it has statements) and a change of a
  // block's ### line into another line, or of another line into a ### line, change the blocks.
  if (old === undefined || old.range.start.line > change.firstLine || change.lastLine > old.range.end.line || !change.blockLinesKept(old.range.start.line)) return parseSock(text, options);
  // The block is read from a copy of its own lines: its nodes keep their text (templates, sources),
  // and nodes read from the whole text would each keep that version of the file alive, a version
  // per change (100 changes to a 1.4 MB file kept 137 MB).
  const start = change.lineStart(old.range.start.line);
  let end = start;
  for (let line = old.range.start.line; line <= old.range.end.line && end < text.length; line++) {
    const newline = text.indexOf('\n', end);
    end = newline < 0 ? text.length : newline + 1;
  }
  const again = new FileParser(detached(text.slice(start, end)), given).reparseBlock(old, 0, before.file, context);
  if (again === undefined) return parseSock(text, options);
  const first = old.range.start.line;
  const last = old.range.end.line;
  const outside = (d: Diagnostic): boolean => d.range.start.line < first || d.range.start.line > last;
  const kept = before.file.diagnostics;
  let at = 0;
  while (at < kept.length && kept[at].range.start.line < first) at++;
  const diagnostics = [...kept.slice(0, at), ...again.diagnostics, ...kept.slice(at).filter(outside)];
  const newBlocks = blocks.slice();
  newBlocks[old.index - 1] = again.block;
  const file: SockFile = { blocks: newBlocks, variables: before.file.variables, diagnostics, ...(before.file.captured ? { captured: before.file.captured } : {}) };
  CONTEXTS.set(file, context);
  return file;
}

/** A copy of `text` that holds no reference to the string it was sliced from (V8 keeps a slice's whole parent alive). */
function detached(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** True when the file has at least one error (warnings do not count). */
export function hasErrors(file: SockFile): boolean {
  return file.diagnostics.some((d) => d.severity === 'error');
}

/**
 * The blocks an error keeps from running, each with the 0-based line of its first error: an
 * error inside a block is that block's; an error outside every block (a file variable above the
 * first one) is every block's, as each may read it.
 */
export function blockErrors(file: SockFile): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of file.diagnostics) {
    if (d.severity !== 'error') continue;
    const line = d.range.start.line;
    const owner = file.blocks.find((b) => line >= b.range.start.line && line <= b.range.end.line);
    for (const b of owner ? [owner] : file.blocks) {
      const first = out.get(b.index);
      if (first === undefined || line < first) out.set(b.index, line);
    }
  }
  return out;
}
