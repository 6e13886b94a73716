/**
 * `capture`: takes part of the last value received or looked up and keeps it as a variable for
 * every later step of the run (`{{NAME}}`), other blocks included. The bytes are kept exactly: a
 * captured value sent back in a payload is the same bytes, whatever they are.
 */
import { createError } from '../../net/errors';
import { decodeInt, type IntType } from '../../net/fields';
import { byteCount, escapeBytes } from '../../net/payload';
import { BytePattern } from '../../net/regex';
import type { Step } from '../ast';

/** Bytes of the value a failed capture shows, escaped. */
const SHOWN_BYTES = 64;

/** What one `capture` step took: each variable and its bytes, in order. */
export interface Captured {
  readonly values: readonly (readonly [name: string, value: Buffer])[];
  /** For the transcript and inline results: `token = "abc123"`. */
  readonly detail: string;
  /** For a field or byte range at an offset: the bytes of the value it read (offset and length, bytes), for the traffic view's marks. */
  readonly span?: { readonly offset: number; readonly length: number };
}

function shown(bytes: Buffer): string {
  return `${byteCount(bytes.length)} "${escapeBytes(bytes, SHOWN_BYTES)}"`;
}

/** Line `n` (1-based) of `bytes`, without its `\n` or `\r\n`; undefined past the last line. */
function lineOf(bytes: Buffer, n: number): Buffer | undefined {
  let start = 0;
  for (let k = 1; k < n; k++) {
    const lf = bytes.indexOf(0x0a, start);
    if (lf < 0) return undefined;
    start = lf + 1;
  }
  if (start >= bytes.length && n > 1) return undefined;
  const lf = bytes.indexOf(0x0a, start);
  const end = lf < 0 ? bytes.length : lf > start && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
  return bytes.subarray(start, end);
}

/**
 * The integer field (as its decimal digits) or the bytes (as they are, or as hex digits) that
 * `capture NAME TYPE|bytes N|hex N [at N]` takes from `last`; a negative offset counts from the end.
 * @throws SocketLabError `ECAPTURE` when the bytes there are too few (or hold no digits, for `dec`)
 */
function fieldOf(step: Extract<Step, { kind: 'capture' }>, last: Buffer): { value: Buffer; offset: number; length: number } {
  const at = step.at ?? 0;
  const offset = at < 0 ? last.length + at : at;
  if (step.count !== undefined) {
    if (offset < 0 || offset + step.count > last.length) throw createError('ECAPTURE', `${step.count} bytes at offset ${at} are past the end of ${shown(last)}`);
    const taken = last.subarray(offset, offset + step.count);
    return { value: step.hex ? Buffer.from(taken.toString('hex'), 'latin1') : Buffer.from(taken), offset, length: step.count };
  }
  const type = step.field as IntType;
  const read = decodeInt(type, last, offset);
  if (read === undefined) throw createError('ECAPTURE', `no ${type} at offset ${at} of ${shown(last)}`);
  return { value: Buffer.from(read.value.toString(10), 'latin1'), offset, length: read.size };
}

/**
 * Runs a `capture` step on `last`, the value the steps before it left.
 * @throws SocketLabError `ECAPTURE` when there is no value yet, the regex does not match, a named
 *   group took no part in the match, or the value has no such line; the message shows the bytes
 *   looked at (the first 64, escaped)
 */
export function capture(step: Extract<Step, { kind: 'capture' }>, last: Buffer | undefined): Captured {
  if (last === undefined) throw createError('ECAPTURE', `${step.source}: nothing was received or looked up before it`);
  const values: [string, Buffer][] = [];
  let span: { offset: number; length: number } | undefined;
  if (step.pattern) {
    const { source, flags } = step.pattern;
    const m = BytePattern.of(source, flags).exec(last);
    if (!m) throw createError('ECAPTURE', `/${source}/${flags} does not match ${shown(last)}`);
    if (step.name !== undefined) {
      // The first group that took part, or the whole match when the regex has none.
      const value = m.groups.length > 1 ? m.groups[1] : m.groups[0];
      if (value === undefined) throw createError('ECAPTURE', `the first group of /${source}/${flags} took no part in the match in ${shown(last)}`);
      values.push([step.name, value]);
    } else {
      for (const [name, index] of Object.entries(m.names).sort((a, b) => a[1] - b[1])) {
        const value = m.groups[index];
        if (value === undefined) throw createError('ECAPTURE', `the group ${name} of /${source}/${flags} took no part in the match in ${shown(last)}`);
        values.push([name, value]);
      }
    }
  } else if (step.field !== undefined || step.count !== undefined) {
    const field = fieldOf(step, last);
    values.push([step.name as string, field.value]);
    span = { offset: field.offset, length: field.length };
  } else if (step.line !== undefined) {
    const value = lineOf(last, step.line);
    if (value === undefined) throw createError('ECAPTURE', `there is no line ${step.line} in ${shown(last)}`);
    values.push([step.name as string, value]);
  } else {
    values.push([step.name as string, last]);
  }
  const detail = values.map(([name, v]) => `${name} = "${escapeBytes(v, SHOWN_BYTES)}"`).join(', ');
  return span ? { values, detail, span } : { values, detail };
}
