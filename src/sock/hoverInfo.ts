/**
 * What is under a position of a `.sock` file, for hovers: a verb, a payload, a variable, an
 * address, a port, a host name, a service name or the error code of an `expect error`. Pure: it
 * reads the text, the parse and the local tables (`/etc/hosts`, `/etc/services`), sends nothing,
 * and never throws.
 */
import { isIP } from 'node:net';
import { aton, pton } from '../net/address';
import { systemHosts } from '../net/hosts';
import { decodeBase64, decodeEscapes, decodeHex } from '../net/payload';
import { systemServices } from '../net/services';
import type { Payload, Range, SockFile, Step } from './ast';
import { fieldLayout, type FieldRow } from './fieldLayout';
import { VERB_BY_NAME } from './lang/verbs';
import { tokenAt } from './parse/lexer';

/** What a hover can say, by kind. */
export type HoverInfo =
  /** A statement's verb, with its text and Python call from the verb table (`lang/verbs.ts`). */
  | { readonly kind: 'verb'; readonly verb: string; readonly syntax: readonly string[]; readonly doc: string; readonly python?: string }
  | { readonly kind: 'payload'; readonly bytes: Buffer }
  /** A field payload (§4.6): its parts with their offsets and bytes; `at`: the row of the part under the cursor. */
  | { readonly kind: 'fields'; readonly rows: readonly FieldRow[]; readonly size?: number; readonly at?: number }
  | { readonly kind: 'payload-error'; readonly message: string }
  | { readonly kind: 'variable'; readonly name: string; readonly value?: string; readonly note?: string }
  /** An address: its family, its packed bytes, and its names in `/etc/hosts` (none when absent). */
  | { readonly kind: 'address'; readonly address: string; readonly family: 4 | 6; readonly packed: Buffer; readonly hosts: readonly string[] }
  | { readonly kind: 'port'; readonly port: number; readonly service?: string }
  /** A host name and its addresses in `/etc/hosts` (none when absent). */
  | { readonly kind: 'host'; readonly name: string; readonly hosts: readonly string[] }
  | { readonly kind: 'service'; readonly name: string; readonly port?: number; readonly proto: 'tcp' | 'udp' }
  /** The CODE of `expect error CODE` (§10.2), known to the code table (`net/errorCodes.ts`) or not. */
  | { readonly kind: 'error-code'; readonly code: string };

/** The range of the hovered token within its line, 0-based columns, end exclusive. */
export interface HoverAt {
  readonly info: HoverInfo;
  readonly start: number;
  readonly end: number;
}

/** Variables given from outside the file (an environment): each one's value as a hover may show it, and where it comes from. */
export interface GivenValues {
  /** E.g. `environment "local"`. */
  readonly source: string;
  value(name: string): string | undefined;
}

function variableInfo(name: string, file: SockFile, given?: GivenValues): HoverInfo {
  const [base, field] = name.trim().split('.');
  const outside = field === undefined ? given?.value(base) : undefined;
  // A given value takes the place of the file's `@NAME = …`, as in a run.
  if (outside !== undefined) return { kind: 'variable', name, value: outside, note: `from ${given?.source}${file.variables.has(base) ? `, over the file's @${base}` : ''}` };
  if (base.startsWith('$')) return { kind: 'variable', name, note: 'a built-in: ' + (base === '$timestamp' ? 'the time in Unix seconds' : base === '$randomInt' ? 'a random integer, MIN ≤ n < MAX' : 'an environment variable (not read in an untrusted workspace)') };
  const v = file.variables.get(base);
  if (v && field === undefined) {
    const value = v.value.parts.map((p) => ('text' in p ? p.text : `{{${'variable' in p ? p.variable : '$…'}}}`)).join('');
    return { kind: 'variable', name, value };
  }
  if (field === undefined && file.captured?.has(base)) return { kind: 'variable', name, note: `set at run time by a capture step (capture ${base} …): what it takes from the last reply` };
  return { kind: 'variable', name, note: `set when the listener named ${base} starts (its ${field ?? 'address'})` };
}

/**
 * Describes what is under `column` (a UTF-16 code unit) of line `line` (0-based, lines end at
 * `\n`) of the text. The words are the parser's ({@link tokenAt}): a quoted string or a `{{…}}` is
 * one word, spaces included, and a trailing comment (`#` or `//` after whitespace) is no word.
 *
 * @param file the parse of the same text (for variables)
 * @param given variables given from outside the file (the active environment), shown over the file's
 * @returns the info and its span, or undefined over blank space, comments, `@name = …` lines and unknown words
 */
export function hoverAt(text: string, file: SockFile, line: number, column: number, given?: GivenValues): HoverAt | undefined {
  const start = lineStart(text, line);
  if (start < 0) return undefined;
  const toks = tokenAt(text, start).tokens;
  if (toks.length === 0) return undefined;
  const at = toks.findIndex((t) => column >= t.start && column < t.end);
  if (at < 0) return undefined;
  const t = toks[at];
  const verb = toks[0].text;
  // `@NAME = VALUE`: the name is the variable (its value in a run); the value hovers as any word.
  const declaration = verb.startsWith('@');
  if (declaration && at === 0) return { info: variableInfo(verb.slice(1), file, given), start: t.start, end: t.end };
  if (declaration && t.text === '=') return undefined;
  if (at === 0) {
    const d = VERB_BY_NAME.get(t.text);
    return d ? { info: { kind: 'verb', verb: d.name, syntax: d.forms.map((f) => f.syntax), doc: d.doc, ...(d.python ? { python: d.python } : {}) }, start: t.start, end: t.end } : undefined;
  }
  // A variable inside the token under the cursor.
  for (const m of t.text.matchAll(/\{\{([^}]*)\}\}/g)) {
    const s = t.start + (m.index ?? 0);
    if (column >= s && column < s + m[0].length) return { info: variableInfo(m[1], file, given), start: s, end: s + m[0].length };
  }
  const prev = toks[at - 1]?.text;
  // The parser's rule for a CODE (parse/receive.ts): the word right after `expect error`.
  if (verb === 'expect' && at === 2 && prev === 'error' && /^[A-Z][A-Z0-9_]+$/.test(t.text)) return { info: { kind: 'error-code', code: t.text }, start: t.start, end: t.end };
  // Any word of a hex or base64 payload (`send hex 00 ff 10`): the words after the keyword, up to a `timeout`.
  let keyword = -1;
  for (let i = at - 1; i >= 1 && toks[i].text !== 'timeout'; i--) {
    if (toks[i].text === 'hex' || toks[i].text === 'base64') {
      keyword = i;
      break;
    }
  }
  const fields = fieldsOnLine(file, line);
  if (fields && within(fields.range, column)) {
    const { rows, size } = fieldLayout(fields.parts);
    // The innermost part under the cursor: the last row whose range holds the column.
    let under = -1;
    rows.forEach((r, i) => {
      if (r.range && within(r.range, column)) under = i;
    });
    return { info: { kind: 'fields', rows, ...(size !== undefined ? { size } : {}), ...(under >= 0 ? { at: under } : {}) }, start: fields.range.start.column, end: fields.range.end.column };
  }
  try {
    if (t.text.startsWith('"')) return { info: { kind: 'payload', bytes: decodeEscapes(t.text.slice(1, t.text.endsWith('"') && t.text.length > 1 ? -1 : undefined)) }, start: t.start, end: t.end };
    if (keyword > 0) {
      const kind = toks[keyword].text;
      // The payload as the parser read it: its words, not a `timeout D` after them.
      const parsed = payloadOnLine(file, line);
      if (parsed && (parsed.kind === 'hex' || parsed.kind === 'base64') && parsed.template.parts.every((p) => 'text' in p)) {
        const words = parsed.template.parts.map((p) => ('text' in p ? p.text : '')).join('');
        return { info: { kind: 'payload', bytes: parsed.kind === 'hex' ? decodeHex(words) : decodeBase64(words) }, start: parsed.template.range.start.column, end: parsed.template.range.end.column };
      }
      // A line the parser refused: the words up to a `timeout`, for the error message.
      const until = toks.findIndex((x, i) => i > keyword && x.text === 'timeout');
      const words = toks.slice(keyword + 1, until < 0 ? undefined : until);
      const rest = words.map((x) => x.text).join(' ');
      return { info: { kind: 'payload', bytes: kind === 'hex' ? decodeHex(rest) : decodeBase64(rest) }, start: words[0].start, end: words[words.length - 1].end };
    }
  } catch (err) {
    return { info: { kind: 'payload-error', message: (err as Error).message }, start: t.start, end: t.end };
  }
  if (verb === 'service' && at === 1) {
    const proto = toks[2]?.text === 'udp' ? 'udp' : 'tcp';
    if (/^\d+$/.test(t.text)) return { info: portInfo(Number(t.text), proto), start: t.start, end: t.end };
    let port: number | undefined;
    try {
      port = systemServices().port(t.text, proto).port;
    } catch {
      port = undefined;
    }
    return { info: { kind: 'service', name: t.text, proto, ...(port !== undefined ? { port } : {}) }, start: t.start, end: t.end };
  }
  // HOST:PORT, [v6]:PORT, an address, a port alone, or a host name.
  const hp = /^(\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(t.text);
  const proto: 'tcp' | 'udp' = toks[1]?.text === 'udp' ? 'udp' : 'tcp';
  if (hp) {
    const host = hp[2] ?? hp[3];
    const portStart = t.end - hp[4].length;
    if (column >= portStart) return { info: portInfo(Number(hp[4]), proto), start: portStart, end: t.end };
    return { info: hostInfo(host), start: t.start, end: portStart - 1 };
  }
  if (isIP(t.text) || (verb === 'aton' && /^[\d.xX]+$/.test(t.text))) return { info: hostInfo(t.text), start: t.start, end: t.end };
  if (/^\d{1,5}$/.test(t.text) && (verb === 'listen' || prev === 'tcp' || prev === 'udp')) return { info: portInfo(Number(t.text), proto), start: t.start, end: t.end };
  if ((verb === 'lookup' || verb === 'resolve') && at === 1) return { info: { kind: 'host', name: t.text, hosts: systemHosts().addresses(t.text) }, start: t.start, end: t.end };
  return undefined;
}

/** The offset where line `line` (0-based) of the text starts, or -1 when the text has no such line. */
function lineStart(text: string, line: number): number {
  if (line < 0) return -1;
  let offset = 0;
  for (let l = 0; l < line; l++) {
    const newline = text.indexOf('\n', offset);
    if (newline < 0) return -1;
    offset = newline + 1;
  }
  return offset;
}

/** True when `column` is within the one-line `range`. */
function within(range: Range, column: number): boolean {
  return column >= range.start.column && column < range.end.column;
}

/** The field payload of the `send` on `line` (0-based), as the parse has it, if any. */
function fieldsOnLine(file: SockFile, line: number): Extract<Payload, { kind: 'fields' }> | undefined {
  const block = file.blocks.find((b) => b.range.start.line <= line && line <= b.range.end.line);
  const find = (steps: readonly Step[]): Extract<Payload, { kind: 'fields' }> | undefined => {
    for (const s of steps) {
      if (s.kind === 'repeat' || s.kind === 'if') {
        const inner = find(s.steps) ?? (s.kind === 'if' ? find(s.otherwise) : undefined);
        if (inner) return inner;
      } else if (s.kind === 'send' && s.range.start.line === line && s.payload.kind === 'fields') return s.payload;
    }
    return undefined;
  };
  return block ? find(block.steps) : undefined;
}

/** The hex or base64 payload of the statement on `line` (0-based), as the parse has it, if any. */
function payloadOnLine(file: SockFile, line: number): Payload | undefined {
  const block = file.blocks.find((b) => b.range.start.line <= line && line <= b.range.end.line);
  const find = (steps: readonly Step[]): Payload | undefined => {
    for (const s of steps) {
      if (s.kind === 'repeat') {
        const inner = find(s.steps);
        if (inner) return inner;
      } else if (s.range.start.line === line) {
        if (s.kind === 'send') return s.payload;
        if (s.kind === 'recv') return s.until;
        if (s.kind === 'expect') return s.matcher.kind === 'contains' ? s.matcher.payload : s.matcher.kind === 'error' && s.matcher.pattern?.kind === 'contains' ? s.matcher.pattern.payload : undefined;
      }
    }
    return undefined;
  };
  return block ? find(block.steps) : undefined;
}

function portInfo(port: number, proto: 'tcp' | 'udp'): HoverInfo {
  try {
    return { kind: 'port', port, service: systemServices().name(port, proto).name };
  } catch {
    return { kind: 'port', port };
  }
}

function hostInfo(host: string): HoverInfo {
  const v = isIP(host);
  if (v === 6) return { kind: 'address', address: host, family: 6, packed: pton(host), hosts: systemHosts().names(host) };
  try {
    // inet_aton forms such as 127.1 are addresses too; /etc/hosts is keyed by the bytes.
    const packed = aton(host);
    return { kind: 'address', address: host, family: 4, packed, hosts: systemHosts().names(packed.join('.')) };
  } catch {
    return { kind: 'host', name: host, hosts: systemHosts().addresses(host) };
  }
}
