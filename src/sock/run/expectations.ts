/**
 * What an `expect` step decides: given its matcher, what the step before left (the last value
 * received or looked up, or its error) and a way to build payload bytes, a verdict and the
 * detail the transcript shows. Sends and reads nothing itself.
 */
import { byteDiff, describeDiff, findPattern, patternHex, type ByteDiff, type BytePatternBytes } from '../../net/bytePattern';
import { createError, type SocketLabError } from '../../net/errors';
import { byteCount, escapeBytes } from '../../net/payload';
import { BytePattern } from '../../net/regex';
import type { Comparison, Matcher, Payload } from '../ast';
import type { Channel } from '../channel';
import type { Scope } from '../scope';
import type { LineEnding } from './payloads';

/** The outcome of one `expect`: whether it held, and what the transcript says about it. */
export interface Verdict {
  readonly pass: boolean;
  readonly detail: string;
  /** For a byte expectation that failed at an offset (`at N`, `exactly`): both sides in hex and the first difference. */
  readonly diff?: ByteDiff;
  /** For a comparison that failed: what was wanted and what was found, as text (escaped bytes, a count, a duration). */
  readonly compared?: Compared;
  /** The bytes of the last value it compared (offset and length, bytes): where a payload was found, or the place `at`/`exactly` looked; for the traffic view's marks. */
  readonly span?: { readonly offset: number; readonly length: number };
}

/** Both sides of a failed comparison, for a test report's expected and actual. */
export interface Compared {
  readonly expected: string;
  readonly actual: string;
}

/** Bytes of each side a {@link Compared} shows, escaped (4 KiB). */
export const COMPARED_BYTES = 4096;

/** Escaped text of up to {@link COMPARED_BYTES} bytes, with a mark when there were more. */
function shownBytes(bytes: Uint8Array): string {
  return escapeBytes(bytes, COMPARED_BYTES) + (bytes.length > COMPARED_BYTES ? ` (${byteCount(bytes.length)})` : '');
}

/** What the steps before an `expect` left for it to check. */
export interface Evidence {
  /** The last value received or looked up; absent when nothing was. */
  readonly last?: Buffer;
  /** The error of the step just before, for `expect error`. */
  readonly lastError?: SocketLabError;
  /** How long the last step that connected, sent, received, waited or looked up took, for `expect time`; ms. */
  readonly lastMs?: number;
  /** True once a receive of the block returned 0 bytes (the peer closed its side), for `expect closed`. */
  readonly sawClose?: boolean;
  /** The block's connection, for `expect closed` and `expect tls`; absent when it has none. */
  readonly channel?: Pick<Channel, 'tls' | 'peerClosed'>;
}

/** Reads the amounts and words of a fact (`expect time < {{t}}`), as {@link Scope} does for steps. */
export type FactValues = Pick<Scope, 'count' | 'duration' | 'expand'>;

/** Builds the bytes of an expected payload (`expect "text"`, `expect hex 20 ?? 00`), as {@link PayloadBuilder.pattern}. */
export type PayloadBytes = (payload: Payload, eol: LineEnding) => Promise<BytePatternBytes>;

/** `N bytes "escaped…"`, the first 64 bytes escaped, for a detail. */
function describeBytes(bytes: Buffer): string {
  return `${byteCount(bytes.length)} "${escapeBytes(bytes, 64)}"`;
}

/**
 * Checks `matcher` against `evidence`. `contains` looks for the payload's bytes (built with
 * `bytes`, a heredoc ending its lines with `eol`) in the last value; `regex` tests the last value
 * with the linear-time {@link BytePattern}; `error` checks the step before failed, with `code`
 * when given, and its message against `pattern` when given. A failed verdict's detail shows what
 * was looked at (the first 64 bytes, escaped). `time`, `bytes`, `closed` and `tls` check a fact
 * of the evidence ({@link checkFact}), reading a `{{…}}` amount or word with `values` (literals
 * only when absent).
 * @throws what `bytes` throws when the expected payload cannot be made (a missing file, a bad
 *   variable) and what `values` throws (`EVARIABLE`), and an `Error` for a regex the engine refuses (the parser reports those first); a
 *   failed check is a verdict, not an error.
 */
export function checkExpectation(matcher: Matcher, evidence: Evidence, eol: LineEnding, bytes: PayloadBytes, values: FactValues = LITERALS): Promise<Verdict> {
  switch (matcher.kind) {
    case 'error':
      return checkError(matcher, evidence.lastError, bytes);
    case 'time':
    case 'bytes':
    case 'closed':
    case 'tls':
      return Promise.resolve(checkFact(matcher, evidence, values));
    case 'latency':
    case 'errors':
      // The run checks these once, when its load ends (§8.15); a block without a load has a parse error.
      return Promise.resolve({ pass: false, detail: 'a load statistic is checked when the block\'s load ends, and this block has no load line' });
    default:
      return check(matcher, evidence.last, eol, bytes);
  }
}

/** Reads literal amounts only, for a caller without a scope. */
const LITERALS: FactValues = {
  count: (v, what) => (typeof v === 'number' ? v : noVariables(what)),
  duration: (v, what) => (typeof v === 'number' ? v : noVariables(what)),
  expand: (t) => t.parts.map((p) => ('text' in p ? p.text : noVariables('expect tls'))).join(''),
};

function noVariables(what: string): never {
  throw createError('EVARIABLE', `${what}: no variables to read here`);
}

/** `a OP b`, as `expect time`, `expect bytes` and a load's expectations compare. */
export function compare(a: number, op: Comparison, b: number): boolean {
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : op === '>=' ? a >= b : a === b;
}

/** A fingerprint's hex digits in upper case: `ab:cd` and `ABCD` are one fingerprint. */
function fingerprintDigits(text: string): string {
  return text.replace(/[:\s]/g, '').toUpperCase();
}

/**
 * Checks a fact (§8.6.1): the last step's time against a duration, the last value's byte count
 * against a count, that the peer closed (a receive returned 0 bytes, or the stream saw its FIN),
 * and the block's TLS session: verified, protocol, cipher, ALPN (`none`: none agreed), the peer
 * certificate's SHA-256 fingerprint (colons and case aside) and subject (a /regex/).
 * @throws SocketLabError `EVARIABLE` when `values` cannot read the amount written
 */
function checkFact(m: Extract<Matcher, { kind: 'time' | 'bytes' | 'closed' | 'tls' }>, e: Evidence, values: FactValues): Verdict {
  if (m.kind === 'time') {
    const limit = values.duration(m.ms, `expect time ${m.op}`);
    if (e.lastMs === undefined) return { pass: false, detail: 'no step before this expect connected, sent, received, waited or looked up' };
    const pass = compare(e.lastMs, m.op, limit);
    return { pass, detail: `took ${e.lastMs} ms`, ...(pass ? {} : { compared: { expected: `${m.op} ${limit} ms`, actual: `${e.lastMs} ms` } }) };
  }
  if (m.kind === 'bytes') {
    const want = values.count(m.count, `expect bytes${m.op === '=' ? '' : ` ${m.op}`}`, 0, Number.MAX_SAFE_INTEGER);
    if (e.last === undefined) return { pass: false, detail: 'nothing was received or looked up before this expect' };
    const pass = compare(e.last.length, m.op, want);
    return { pass, detail: `got ${byteCount(e.last.length)}`, ...(pass ? {} : { compared: { expected: `${m.op} ${want}`, actual: String(e.last.length) } }) };
  }
  if (m.kind === 'closed') {
    if (!e.channel) return { pass: false, detail: 'the block has no connection' };
    if (e.sawClose || e.channel.peerClosed) return { pass: true, detail: 'the peer closed its side' };
    return { pass: false, detail: e.channel.peerClosed === undefined ? 'a datagram socket has no close from its peer' : 'the peer has not closed its side' };
  }
  const tls = e.channel?.tls;
  if (!tls) return { pass: false, detail: e.channel ? "the block's connection is not TLS" : 'the block has no connection' };
  const f = m.fact;
  const cert = tls.peerCertificate;
  switch (f.name) {
    case 'verified':
      return tls.verified ? { pass: true, detail: `verified${cert ? `: ${cert.subject}, issued by ${cert.issuer}` : ''}` } : { pass: false, detail: `not verified${tls.verifyError ? `: ${tls.verifyError}` : ''}` };
    case 'subject': {
      if (!cert) return { pass: false, detail: 'the peer sent no certificate' };
      const pass = BytePattern.of(f.source, f.flags).test(Buffer.from(cert.subject));
      return { pass, detail: pass ? `the subject ${cert.subject} matches` : `the subject is ${cert.subject}` };
    }
    case 'fingerprint': {
      if (!cert) return { pass: false, detail: 'the peer sent no certificate' };
      const pass = fingerprintDigits(values.expand(f.value)) === fingerprintDigits(cert.fingerprint256);
      return { pass, detail: pass ? `SHA-256 ${cert.fingerprint256}` : `the SHA-256 fingerprint is ${cert.fingerprint256}` };
    }
    default: {
      const want = values.expand(f.value);
      const got = f.name === 'protocol' ? tls.protocol : f.name === 'cipher' ? tls.cipher : tls.alpn === false ? 'none' : tls.alpn;
      return got === want ? { pass: true, detail: got } : { pass: false, detail: `the ${f.name === 'alpn' ? 'ALPN protocol' : f.name} is ${got}`, compared: { expected: want, actual: got } };
    }
  }
}

async function checkError(m: Extract<Matcher, { kind: 'error' }>, error: SocketLabError | undefined, bytes: PayloadBytes): Promise<Verdict> {
  if (!error) return { pass: false, detail: 'expected an error, but the step before succeeded' };
  if (m.code && m.code !== error.code) return { pass: false, detail: `expected ${m.code}, got ${error.code}: ${error.message}`, compared: { expected: m.code, actual: error.code } };
  if (m.pattern) {
    const message = Buffer.from(error.message);
    // The pattern of `expect error "…"` is a one-line text or regex: the default line ending.
    const inner = await check(m.pattern, message, 'crlf', bytes);
    if (!inner.pass) return { pass: false, detail: `the error "${error.message}" does not match` };
  }
  return { pass: true, detail: error.message };
}

async function check(m: Matcher, last: Buffer | undefined, eol: LineEnding, bytes: PayloadBytes): Promise<Verdict> {
  if (last === undefined) return { pass: false, detail: 'nothing was received or looked up before this expect' };
  if (m.kind === 'regex') {
    const pass = BytePattern.of(m.source, m.flags).test(last);
    if (pass) return { pass, detail: `matches /${m.source}/${m.flags}` };
    return { pass, detail: `/${m.source}/${m.flags} does not match ${describeBytes(last)}`, compared: { expected: `/${m.source}/${m.flags}`, actual: shownBytes(last) } };
  }
  if (m.kind === 'contains' || m.kind === 'exactly') {
    const want = await bytes(m.payload, eol);
    const shown = want.mask ? patternHex(want) : `"${escapeBytes(want.bytes, 64)}"`;
    if (m.kind === 'exactly') {
      const diff = byteDiff(last, 0, want);
      const span = { offset: 0, length: last.length };
      if (diff === undefined && last.length === want.bytes.length) return { pass: true, detail: `exactly ${shown}`, span };
      const lengths = last.length === want.bytes.length ? '' : `expected ${byteCount(want.bytes.length)}, found ${byteCount(last.length)}; `;
      return { pass: false, detail: lengths + (diff ? describeDiff(diff, last.length) : `the first ${byteCount(want.bytes.length)} match and ${byteCount(last.length - want.bytes.length)} more follow: ${describeBytes(last)}`), span, ...(diff ? { diff } : {}), compared: wanted(want, last) };
    }
    if (m.at !== undefined) {
      const offset = m.at < 0 ? last.length + m.at : m.at;
      const diff = byteDiff(last, offset, want);
      const start = Math.min(Math.max(0, offset), last.length);
      const span = { offset: start, length: Math.max(0, Math.min(last.length, offset + want.bytes.length) - start) };
      return diff === undefined ? { pass: true, detail: `found ${shown} at offset ${m.at}`, span } : { pass: false, detail: describeDiff(diff, last.length), diff, span };
    }
    const found = findPattern(last, want);
    if (found < 0) return { pass: false, detail: `${shown} not in ${describeBytes(last)}`, compared: wanted(want, last) };
    return { pass: true, detail: `found ${shown}`, span: { offset: found, length: want.bytes.length } };
  }
  return { pass: false, detail: 'expect error follows a step that did not fail' };
}

/** A byte expectation's sides: the pattern in hex when it has wildcards, else both as escaped text. */
function wanted(want: BytePatternBytes, last: Buffer): Compared {
  return want.mask ? { expected: patternHex(want, COMPARED_BYTES), actual: patternHex({ bytes: last }, COMPARED_BYTES) } : { expected: shownBytes(want.bytes), actual: shownBytes(last) };
}
