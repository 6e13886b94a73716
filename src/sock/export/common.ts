/**
 * What the Python and Node exports share (spec §16): which blocks a program needs, the order of
 * the file's variables, the labels its log lines carry, the bytes of literal payloads, and the
 * notes for what has no translation. Pure: a syntax tree in, facts out; no `vscode`.
 */
import { decodeBase64, decodeEscapes, decodeHex } from '../../net/payload';
import type { Block, Payload, SockFile, Step, Template } from '../ast';

/** The languages a `.sock` file exports to. */
export type ExportLanguage = 'python' | 'node';

/** Every {@link ExportLanguage}, as `--lang` takes them. */
export const EXPORT_LANGUAGES: readonly ExportLanguage[] = ['python', 'node'];

/** What to export and where the file lives. */
export interface ExportOptions {
  readonly lang: ExportLanguage;
  /** 1-based block numbers, as `--block N`; absent: every block. The listeners and kept connections they name come too. */
  readonly blocks?: readonly number[];
  /** The `.sock` file's name, for comments (`tutorial.sock`). */
  readonly fileName: string;
  /** The folder `file`, `ca`, `cert`, `key` and Unix paths resolve against: the `.sock` file's folder. */
  readonly baseDir: string;
}

/** A statement the program does not do as Socket Lab does, with why. */
export interface Untranslated {
  /** 1-based line in the `.sock` file. */
  readonly line: number;
  readonly source: string;
  readonly reason: string;
}

/** A program and what it leaves out. */
export interface ExportResult {
  readonly code: string;
  readonly untranslated: readonly Untranslated[];
}

/** The label of a block's log lines: `greeter` for a named listener, `block N` otherwise. */
export function blockLabel(block: Block): string {
  return block.header?.kind === 'listen' && block.header.name ? block.header.name : `block ${block.index}`;
}

/** The names a template refers to: `{{greeter.port}}` names `greeter`. */
function referencedNames(t: Template | undefined, into: Set<string>): void {
  if (!t) return;
  for (const p of t.parts) if ('variable' in p) into.add(p.variable.split('.')[0]);
}

/** Every template of a step, nested steps included. */
function stepTemplates(step: Step, into: Set<string>): void {
  const payload = (p: Payload | undefined): void => {
    if (!p) return;
    if (p.kind === 'heredoc') p.lines.forEach((l) => referencedNames(l, into));
    else if (p.kind === 'fields') for (const part of p.parts) collectField(part, into);
    else referencedNames(p.template, into);
  };
  switch (step.kind) {
    case 'send':
      return payload(step.payload);
    case 'recv':
      return payload(step.until);
    case 'expect':
      if (step.matcher.kind === 'contains' || step.matcher.kind === 'exactly') payload(step.matcher.payload);
      return;
    case 'set':
      return referencedNames(step.value, into);
    case 'await':
      into.add(step.name);
      return;
    case 'forward':
    case 'lookup':
    case 'service':
    case 'aton':
    case 'ntoa':
    case 'pton':
    case 'ntop':
      return referencedNames(step.target, into);
    case 'resolve':
      referencedNames(step.target, into);
      return referencedNames(step.server, into);
    case 'repeat':
    case 'on':
      for (const s of step.steps) stepTemplates(s, into);
      return;
    case 'if':
      for (const s of [...step.steps, ...step.otherwise]) stepTemplates(s, into);
      return;
    default:
      return;
  }
}

function collectField(part: import('../ast').FieldPart, into: Set<string>): void {
  if (part.kind === 'group') for (const p of part.parts) collectField(p, into);
  else if (part.kind === 'int' && typeof part.value !== 'string') referencedNames(part.value, into);
  else if (part.kind === 'payload') {
    const p = part.payload;
    if (p.kind === 'heredoc') p.lines.forEach((l) => referencedNames(l, into));
    else if (p.kind !== 'fields') referencedNames(p.template, into);
  }
}

/** The names a block refers to: in its header's target, its TLS files and its steps. */
function blockReferences(block: Block): Set<string> {
  const names = new Set<string>();
  const h = block.header;
  if (h) {
    if (h.kind === 'use') names.add(h.target.parts.map((p) => ('text' in p ? p.text : '')).join(''));
    else referencedNames(h.target, names);
  }
  referencedNames(block.tls.ca, names);
  referencedNames(block.tls.cert, names);
  referencedNames(block.tls.key, names);
  for (const s of block.steps) stepTemplates(s, names);
  return names;
}

/**
 * The blocks a program of `wanted` needs, in file order: those asked for, and, again and again,
 * the blocks that define a listener or kept connection they name (`{{greeter}}`, `use a`).
 * Narrower than a test run's choice (`selectBlocks` in suite/suite.ts, which starts every listener
 * written before a case, since a case may reach one by its literal port): a program holds only
 * the servers its block names, so that it reads as the block does. A listener reached by a
 * literal port is not brought along (spec §16).
 * @throws RangeError for a block number the file does not have
 */
export function programBlocks(file: SockFile, wanted: readonly number[] | undefined): Block[] {
  if (!wanted || wanted.length === 0) return [...file.blocks];
  const byName = new Map<string, Block>();
  for (const b of file.blocks) if (b.header?.name && b.header.kind !== 'use') byName.set(b.header.name, b);
  const chosen = new Set<Block>();
  const visit = (b: Block): void => {
    if (chosen.has(b)) return;
    chosen.add(b);
    for (const name of blockReferences(b)) {
      const definer = byName.get(name);
      if (definer && definer.index < b.index) visit(definer);
    }
  };
  for (const n of wanted) {
    const block = file.blocks[n - 1];
    if (!block) throw new RangeError(`there is no block ${n}: the file has ${file.blocks.length}`);
    visit(block);
  }
  return file.blocks.filter((b) => chosen.has(b));
}

/**
 * The file's variables in an order where each comes after the variables its value refers to
 * (a variable may refer to one written below it, §3.1). A cycle keeps the file's order.
 */
export function variablesInOrder(file: SockFile): { readonly name: string; readonly value: Template }[] {
  const out: { name: string; value: Template }[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): void => {
    const v = file.variables.get(name);
    if (!v || state.has(name)) return;
    state.set(name, 'visiting');
    for (const p of v.value.parts) if ('variable' in p) visit(p.variable);
    state.set(name, 'done');
    out.push({ name, value: v.value });
  };
  for (const name of file.variables.keys()) visit(name);
  return out;
}

/**
 * The bytes of a payload that holds no `{{…}}`, no file and no field (text, hex, base64, a
 * heredoc with the block's line ending); `undefined` for the others, which the program builds
 * when it runs. A hex payload with `??` is not literal bytes either.
 */
export function literalBytes(p: Payload, eol: Block['eol']): Buffer | undefined {
  if (p.kind === 'file' || p.kind === 'fields') return undefined;
  if (p.kind === 'heredoc') {
    if (!p.lines.every((l) => l.parts.every((t) => 'text' in t))) return undefined;
    const ending = eol === 'crlf' ? '\r\n' : '\n';
    return Buffer.from(p.lines.map((l) => l.parts.map((t) => ('text' in t ? t.text : '')).join('') + ending).join(''), 'utf8');
  }
  if (!p.template.parts.every((t) => 'text' in t)) return undefined;
  const text = p.template.parts.map((t) => ('text' in t ? t.text : '')).join('');
  if (p.kind === 'text') return decodeEscapes(text);
  if (p.kind === 'base64') return decodeBase64(text);
  if (text.includes('?')) return undefined;
  return decodeHex(text);
}

/** The `??` wildcard pattern of a literal hex payload: each byte, or `null` for any byte; `undefined` without a `??`. */
export function hexWildcards(p: Payload): (number | null)[] | undefined {
  if (p.kind !== 'hex' || !p.template.parts.every((t) => 'text' in t)) return undefined;
  const text = p.template.parts.map((t) => ('text' in t ? t.text : '')).join('').replace(/\s+/g, '');
  if (!text.includes('?')) return undefined;
  const out: (number | null)[] = [];
  for (let i = 0; i + 1 < text.length; i += 2) {
    const pair = text.slice(i, i + 2);
    out.push(pair === '??' ? null : Number.parseInt(pair, 16));
  }
  return out;
}

/** The 1-based line of a step or header, for comments and notes. */
export function lineOf(node: { readonly range: { readonly start: { readonly line: number } } }): number {
  return node.range.start.line + 1;
}

/** Python's `repr(bytes)` spelling of bytes: `b'GET /\r\n'`, the quote Python would pick. */
export function pythonBytes(bytes: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const b of bytes) {
    if (b === 0x27) hasSingle = true;
    else if (b === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = `b${quote}`;
  for (const b of bytes) out += byteChar(b, quote);
  return out + quote;
}

function byteChar(b: number, quote: string): string {
  if (b === 0x5c) return '\\\\';
  if (b === 0x09) return '\\t';
  if (b === 0x0a) return '\\n';
  if (b === 0x0d) return '\\r';
  if (b === quote.charCodeAt(0)) return `\\${quote}`;
  if (b >= 0x20 && b < 0x7f) return String.fromCharCode(b);
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

/** A JavaScript (or Python) string literal of `text`, in single quotes, escaped. */
export function quoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}

/** A JavaScript expression of literal bytes: `Buffer.from('GET /\r\n', 'latin1')`. */
export function nodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x27) out += "\\'";
    else out += byteChar(b, '"');
  }
  return `Buffer.from('${out}', 'latin1')`;
}

/**
 * An RE2 pattern (§8.5) as Python's `re` reads it: `(?<name>…)` named `(?P<name>…)`, `\x{HHHH}`
 * written `\uHHHH`/`\UHHHHHHHH`, `\z` written `\Z`. Both engines agree on the rest of what RE2
 * accepts, except `\p{…}` classes, which Python's `re` lacks (the export notes them).
 */
export function pythonRegex(source: string): string {
  return source
    .replace(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?P<$1>')
    .replace(/\\x\{([0-9a-fA-F]+)\}/g, (_m, hex: string) => (hex.length <= 4 ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`))
    .replace(/\\z/g, '\\Z')
    .replace(/\\\//g, '/');
}

/**
 * An RE2 pattern as a JavaScript `RegExp` with the `u` flag reads it: `(?P<name>…)` written
 * `(?<name>…)`, `\x{HHHH}` written `\u{HHHH}`, `\A` and `\z` written `^` and `$` (without `m`),
 * and `/` escaped for a regex literal.
 */
export function nodeRegex(source: string): string {
  return source
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\\x\{([0-9a-fA-F]+)\}/g, '\\u{$1}')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$');
}

/** Why an RE2 pattern may read differently in the target language, or `undefined`. */
export function regexCaveat(source: string, lang: ExportLanguage): string | undefined {
  if (lang === 'python' && /\\[pP]\{/.test(source)) return "Python's re has no \\p{…} classes";
  if (/\(\?[a-z]*:|\(\?[imsU]+\)/.test(source) && lang === 'node') return 'inline flags such as (?i) are not JavaScript regex syntax';
  return undefined;
}
