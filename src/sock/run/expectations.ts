/**
 * What an `expect` step decides: given its matcher, what the step before left (the last value
 * received or looked up, or its error) and a way to build payload bytes, a verdict and the
 * detail the transcript shows. Sends and reads nothing itself.
 */
import type { SocketLabError } from '../../net/errors';
import { byteCount, escapeBytes } from '../../net/payload';
import { BytePattern } from '../../net/regex';
import type { Matcher, Payload } from '../ast';
import type { LineEnding } from './payloads';

/** The outcome of one `expect`: whether it held, and what the transcript says about it. */
export interface Verdict {
  readonly pass: boolean;
  readonly detail: string;
}

/** What the steps before an `expect` left for it to check. */
export interface Evidence {
  /** The last value received or looked up; absent when nothing was. */
  readonly last?: Buffer;
  /** The error of the step just before, for `expect error`. */
  readonly lastError?: SocketLabError;
}

/** Builds the bytes of an expected payload (`expect "text"`, `expect hex …`), as {@link PayloadBuilder.bytes}. */
export type PayloadBytes = (payload: Payload, eol: LineEnding) => Promise<Buffer>;

/** `N bytes "escaped…"`, the first 64 bytes escaped, for a detail. */
function describeBytes(bytes: Buffer): string {
  return `${byteCount(bytes.length)} "${escapeBytes(bytes, 64)}"`;
}

/**
 * Checks `matcher` against `evidence`. `contains` looks for the payload's bytes (built with
 * `bytes`, a heredoc ending its lines with `eol`) in the last value; `regex` tests the last value
 * with the linear-time {@link BytePattern}; `error` checks the step before failed, with `code`
 * when given, and its message against `pattern` when given. A failed verdict's detail shows what
 * was looked at (the first 64 bytes, escaped).
 * @throws what `bytes` throws when the expected payload cannot be made (a missing file, a bad
 *   variable), and an `Error` for a regex the engine refuses (the parser reports those first); a
 *   failed check is a verdict, not an error.
 */
export function checkExpectation(matcher: Matcher, evidence: Evidence, eol: LineEnding, bytes: PayloadBytes): Promise<Verdict> {
  return matcher.kind === 'error' ? checkError(matcher, evidence.lastError, bytes) : check(matcher, evidence.last, eol, bytes);
}

async function checkError(m: Extract<Matcher, { kind: 'error' }>, error: SocketLabError | undefined, bytes: PayloadBytes): Promise<Verdict> {
  if (!error) return { pass: false, detail: 'expected an error, but the step before succeeded' };
  if (m.code && m.code !== error.code) return { pass: false, detail: `expected ${m.code}, got ${error.code}: ${error.message}` };
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
    return { pass, detail: pass ? `matches /${m.source}/${m.flags}` : `/${m.source}/${m.flags} does not match ${describeBytes(last)}` };
  }
  if (m.kind === 'contains') {
    const want = await bytes(m.payload, eol);
    const pass = last.includes(want);
    return { pass, detail: pass ? `found "${escapeBytes(want, 64)}"` : `"${escapeBytes(want, 64)}" not in ${describeBytes(last)}` };
  }
  return { pass: false, detail: 'expect error follows a step that did not fail' };
}
