/**
 * Payloads (spec §6): `"text"` with escapes and `{{…}}`, `hex …`, `base64 …`, `file PATH` and
 * heredocs (`<<TAG`, whose lines the parser reads after the statement's line); the steps that
 * write to the peer (`send`, and `shutdown` and `close`, which end what it sends); and the test of
 * `if` and `repeat … until`, a payload or a `/regex/`.
 */
import { decodeHexPattern } from '../../net/bytePattern';
import { CHECKSUM_TYPES, isChecksumType } from '../../net/checksums';
import { decodeBase64, decodeHex } from '../../net/payload';
import { intBounds, isIntType, INT_TYPES, parseIntLiteral, type IntType } from '../../net/fields';
import type { BlockTransport, FieldPart, Matcher, Payload, Step } from '../ast';
import { coveredGroup } from '../fieldRules';
import { LineError } from './lexer';
import { errorAt, KEYWORDS, NAME, type LineParser, type PendingHeredoc } from './lineParser';

/** How {@link parsePayload} reads a payload. */
export interface PayloadOptions {
  /** Hex or base64 words end at a `timeout` word (`recv until hex 0d0a timeout 2s`). */
  readonly stopAtTimeout?: boolean;
  /** The payload is a part of a field payload: hex or base64 words end where the next part starts ({@link endsFieldPayloadPart}). */
  readonly inFields?: boolean;
  /** Hex words end at an `at` word (`expect hex 20 02 at 0`). */
  readonly stopAtAt?: boolean;
  /** `??` in hex stands for any byte (an expectation's pattern, §8.6). */
  readonly wildcards?: boolean;
  /** Hex or base64 words end at any of these words (`recv frame from hex 02 to hex 03`). */
  readonly stopWords?: readonly string[];
}

const EXPECTED_PAYLOAD = 'a payload: "text", hex 47 45 54, base64 R0VU, file PATH or <<END';

const NO_WORDS: readonly string[] = [];
const NO_OPTIONS: PayloadOptions = {};
/** The options of a payload that is a part of a field payload, and of nothing else (shared: a send reads one per line). */
const IN_FIELDS: PayloadOptions = { inFields: true };
/** The options of a payload that a `timeout` word may follow (`recv until "\r\n" timeout 2s`), shared as {@link IN_FIELDS} is. */
export const STOP_AT_TIMEOUT: PayloadOptions = { stopAtTimeout: true };

/** Throws the "did you mean" error for a near miss of `timeout` among the words of `text[start, end)`, if there is one. */
function timeoutAmong(p: LineParser, start: number, end: number): void {
  const { c } = p;
  c.pos = start;
  while (c.pos < end && !c.atEnd()) {
    c.next('');
    if (p.hint(KEYWORDS.recvTimeout, c.slice())) throw p.keywordError(KEYWORDS.recvTimeout, '', `unexpected "${c.slice()}"`);
  }
}

/**
 * A payload: `"text"`, `hex …`, `base64 …`, `file PATH`, or `<<TAG` (a heredoc, whose lines
 * {@link LineParser.heredoc} tells the parser to read next).
 *
 * @param keywords the payload's slot in the verb table (`expect` adds `error`), for "did you mean"
 * @param options where hex or base64 words end, and whether `??` may stand for a byte
 */
export function parsePayload(p: LineParser, keywords: readonly string[], options: PayloadOptions = NO_OPTIONS): Payload {
  const { stopAtTimeout = false, inFields = false, wildcards = false, stopAtAt = false, stopWords = NO_WORDS } = options;
  const { codes, c, text } = p;
  const base = p.lineStart;
  const ch = c.peek();
  if (ch === 0x22 /* " */) {
    c.quoted();
    const { start, stop } = c;
    const payload = p.payload('text', start, stop, c.sawBrace);
    if (c.oddEscape || c.sawBrace) p.checkStringEscapes(start, stop);
    return payload;
  }
  if (ch === 0x3c /* < */ && codes[c.pos + 1] === 0x3c) {
    const t = c.word('a heredoc tag');
    const tag = t.text.slice(2);
    if (!NAME.test(tag)) throw new LineError(`a heredoc is written <<TAG, e.g. <<END`, t.start, t.end);
    const payload: PendingHeredoc['payload'] = { kind: 'heredoc', lines: [], range: p.range(t.start, t.end) };
    p.heredoc = { tag, line: p.line, start: t.start, end: t.end, payload };
    return payload;
  }
  c.next(EXPECTED_PAYLOAD);
  if (c.is('file')) {
    c.next('a file path after "file"');
    return p.payload('file', c.start, c.stop);
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
      if ((stopAtTimeout && c.is('timeout')) || (inFields && endsFieldPayloadPart(p)) || (stopAtAt && c.is('at')) || stopWords.some((w) => c.is(w))) {
        c.pos = save;
        break;
      }
      if (start < 0) start = c.start;
      end = c.stop;
    }
    if (start < 0) throw new LineError(hex ? 'hex needs digits, e.g. hex 47 45 54' : 'base64 needs text, e.g. base64 R0VUIC8=', kindStart, kindEnd);
    const payload = p.payload(hex ? 'hex' : 'base64', start, end);
    if (p.isLiteral(start, end)) {
      // Literal digits: checked now, where a {{…}} is checked when the step runs.
      const digits = text.slice(start, end);
      try {
        if (hex && wildcards) decodeHexPattern(digits);
        else if (hex) decodeHex(digits);
        else decodeBase64(digits);
      } catch (err) {
        // `recv until hex 0d0a tiemout 2s`: the misspelt timeout is the mistake, not the digits.
        if (stopAtTimeout) timeoutAmong(p, start, end);
        throw errorAt(err, start - base, end - base);
      }
    }
    return payload;
  }
  const message = `a payload is quoted ("${c.slice()}"), hex 47 45 54, base64 R0VU, file PATH or a heredoc (<<END)`;
  // A bare {{name}} is a payload left unquoted, not a variable in place of hex or file.
  if (c.hasReference()) throw new LineError(message, c.start - base, c.stop - base);
  throw p.keywordError(keywords, message);
}

/**
 * The test of `if` and `repeat … until`: a payload the last value contains, or a /regex/ it
 * matches, as `expect` has them (no `expect error`).
 */
export function parseTest(p: LineParser, keywords: readonly string[], what: string): Matcher {
  const { c } = p;
  if (c.atEnd()) throw p.verbError(`${what} needs a test: a payload such as "OK", or a /regex/`);
  if (c.peek() === 0x2f /* / */) {
    const source = p.regex();
    return { kind: 'regex', source, flags: c.flags };
  }
  return { kind: 'contains', payload: parsePayload(p, keywords) };
}

/** `send PAYLOAD`, or `send PART PART…`, a field payload (§4.6). */
export function parseSend(p: LineParser): Step {
  const payload = parseMultiPayload(p, KEYWORDS.send);
  p.c.expectEnd();
  return { kind: 'send', payload, range: p.statementRange(), source: p.statementSource() };
}

/** How deep `( … )` groups of a field payload nest. */
export const MAX_GROUP_DEPTH = 16;

/** The words of a field payload's parts after the first, for "did you mean". */
const FIELD_WORDS: readonly string[] = [...KEYWORDS.send, ...INT_TYPES, 'len', ...CHECKSUM_TYPES];

/**
 * True when the last word read starts the next part of a field payload, so a `hex` or `base64`
 * run before it ends: an integer type, `(`, `)`, `hex`, `base64`, `file` or a quoted string.
 */
function endsFieldPayloadPart(p: LineParser): boolean {
  const { c } = p;
  return c.codes[c.start] === 0x22 /* " */ || c.is('(') || c.is(')') || c.is('hex') || c.is('base64') || c.is('file') || isIntType(c.slice()) || isChecksumType(c.slice());
}

/** True when the next word starts a part that only a field payload has: an integer type or `(`. */
function startsField(p: LineParser): boolean {
  const { c } = p;
  if (c.atEnd()) return false;
  // Only `(` and the integer types (u…, i…, varint, dec) start one: most lines are told by their first character.
  const first = c.peek();
  if (first !== 0x28 && first !== 0x75 && first !== 0x69 && first !== 0x76 && first !== 0x64) return false;
  const save = c.pos;
  c.next('');
  const yes = c.is('(') || isIntType(c.slice());
  c.pos = save;
  return yes;
}

/**
 * One payload as before (§4.1–4.5), or a field payload of several parts (§4.6): `send`'s, and
 * `expect`'s (`options`: `??` wildcards, and an `at OFFSET` after the payload).
 */
export function parseMultiPayload(p: LineParser, keywords: readonly string[], options: PayloadOptions = NO_OPTIONS): Payload {
  const { c } = p;
  c.skipSpace();
  const from = c.pos - p.lineStart;
  let first: Payload | undefined;
  if (!startsField(p)) {
    first = parsePayload(p, keywords, options === NO_OPTIONS ? IN_FIELDS : { ...options, inFields: true });
    if (first.kind === 'heredoc' || c.atEnd() || (options.stopAtAt && c.nextIs('at'))) return first;
  }
  const parts: FieldPart[] = first === undefined ? [] : [{ kind: 'payload', payload: first }];
  parseParts(p, parts, 0, 0, options);
  return { kind: 'fields', parts, range: p.range(from, c.lastEnd - p.lineStart) };
}

/**
 * Reads the parts of one level of a field payload into `parts`, up to the end of the line (level
 * 0) or the `)` that closes its group; then checks that every length field has a group after it.
 */
function parseParts(p: LineParser, parts: FieldPart[], depth: number, open: number, options: PayloadOptions): void {
  const { c } = p;
  for (;;) {
    if (depth === 0 && options.stopAtAt && c.nextIs('at')) break;
    if (c.atEnd()) {
      if (depth > 0) throw new LineError('a ( without its ): close the group with ) as a word of its own', open, open + 1);
      break;
    }
    const ch = c.peek();
    const save = c.pos;
    c.next('');
    if (ch === 0x3c /* < */ && c.codes[c.start + 1] === 0x3c) throw new LineError('a heredoc is a payload of its own: it cannot be part of a field payload', c.start - c.base, c.stop - c.base);
    if (ch === 0x22 /* " */ || c.is('hex') || c.is('base64') || c.is('file')) {
      c.pos = save;
      parts.push({ kind: 'payload', payload: parsePayload(p, KEYWORDS.send, { ...options, inFields: true }) });
      continue;
    }
    const word = c.slice();
    const start = c.start - c.base;
    if (word === '(') {
      if (depth + 1 > MAX_GROUP_DEPTH) throw new LineError(`groups nest at most ${MAX_GROUP_DEPTH} deep`, start, start + 1);
      const inner: FieldPart[] = [];
      parseParts(p, inner, depth + 1, start, options);
      parts.push({ kind: 'group', parts: inner, range: p.range(start, c.lastEnd - c.base) });
      continue;
    }
    if (word === ')') {
      if (depth === 0) throw new LineError('a ) without its (', start, c.stop - c.base);
      break;
    }
    if (isIntType(word)) {
      parts.push(parseIntField(p, word, start));
      continue;
    }
    if (isChecksumType(word)) {
      parts.push({ kind: 'checksum', type: word, range: p.range(start, c.stop - c.base) });
      continue;
    }
    if (c.hasReference()) throw new LineError(`a payload is quoted ("${word}"), or a field such as u16 {{n}}`, start, c.stop - c.base);
    const atToo = depth === 0 && options.stopAtAt;
    throw p.keywordError(atToo ? [...FIELD_WORDS, 'at'] : FIELD_WORDS, `"${word}" is not a part of a payload: "text", hex, base64, file, an integer field (u8 … u64, i8 … i64, u16le …, varint, dec), ( … ) or a checksum after one (crc16-modbus, crc32, crc32le, inet16)${atToo ? ', nor at OFFSET' : ''}`, `"${word}" is not a part of a payload`);
  }
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.kind === 'checksum' && coveredGroup(parts, i) < 0) {
      throw new LineError(`${part.type} is the checksum of the ( … ) group right before it, and none is there`, part.range.start.column, part.range.end.column);
    }
    if (part.kind !== 'length') continue;
    if (coveredGroup(parts, i) < 0) {
      throw new LineError(`${part.type} len is the length of the ( … ) group after it, and none follows at its level`, part.range.start.column, part.range.end.column);
    }
  }
}

/** `TYPE len` (a length field) or `TYPE VALUE` (a literal or `{{…}}`), the type word just read at column `start`. */
function parseIntField(p: LineParser, type: IntType, start: number): FieldPart {
  const { c } = p;
  c.next(`a value after ${type}, e.g. ${type} 1, ${type} 0x10, ${type} {{n}} or ${type} len`);
  const end = c.stop - c.base;
  if (c.is('len')) return { kind: 'length', type, range: p.range(start, end) };
  if (c.hasReference()) return { kind: 'int', type, value: p.wordTemplate(), range: p.range(start, end) };
  const text = c.slice();
  const value = parseIntLiteral(text);
  const valueStart = c.start - c.base;
  if (value === undefined) throw new LineError(`${type} takes an integer (60, 0x3c, -1), a {{variable}} or len; not "${text}"`, valueStart, end);
  const { min, max } = intBounds(type);
  if (value < min || value > max) throw new LineError(`${text} does not fit ${type} (${min} to ${max})`, valueStart, end);
  return { kind: 'int', type, value: text, range: p.range(start, end) };
}

/** `close`, or `shutdown` (a half-close: FIN, `socket.shutdown(SHUT_WR)`), which UDP has none of. */
export function parseEnding(p: LineParser, verb: 'close' | 'shutdown' | 'reset', transport: BlockTransport | undefined): Step {
  if (verb === 'shutdown' && transport === 'udp') throw p.verbError('shutdown half-closes a stream (TCP, Unix, TLS); UDP has no connection to close');
  if (verb === 'reset' && transport === 'udp') throw p.verbError('reset aborts a stream (a RST on TCP); UDP has no connection to reset');
  p.c.expectEnd();
  return { kind: verb, range: p.statementRange(), source: p.statementSource() };
}
