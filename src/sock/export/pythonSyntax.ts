/**
 * How Python writes what the export emits (spec §16): string literals, seconds, struct formats,
 * and the `pass` a body of comments needs. Pure text helpers of the Python writer (python.ts).
 */
import type { IntType } from '../../net/fields';

/** struct formats of the fixed-width integer types (§4.6). */
export const STRUCT: Partial<Record<IntType, string>> = {
  u8: 'B', u16: '>H', u16le: '<H', u32: '>I', u32le: '<I', u64: '>Q', u64le: '<Q',
  i8: 'b', i16: '>h', i16le: '<h', i32: '>i', i32le: '<i', i64: '>q', i64le: '<q',
};

/** A Python string literal of `text`: raw (`r'…'`) for a regex when it can be. */
export function pyString(text: string, raw = false): string {
  if (raw && !text.endsWith('\\') && !/[\r\n]/.test(text)) {
    if (!text.includes("'")) return `r'${text}'`;
    if (!text.includes('"')) return `r"${text}"`;
  }
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}

/**
 * Python needs a statement in every body: a `pass` goes where a compound statement's body holds
 * only comments (a step with no translation, an `on` rule's place, an empty branch).
 */
export function fillEmptyBodies(lines: string[]): string[] {
  const out: string[] = [];
  const indent = (l: string): number => l.length - l.trimStart().length;
  lines.forEach((line, i) => {
    out.push(line);
    if (!/^\s*(?:def|if|elif|else|try|except|for|while|with|class)\b.*:$/.test(line) || line.trimStart().startsWith('#')) return;
    const next = lines.slice(i + 1).find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    if (next === undefined || indent(next) <= indent(line)) out.push(`${' '.repeat(indent(line) + 4)}pass`);
  });
  return out;
}

/** Seconds for a duration in ms, as Python writes them: `5.0`, `0.5`. */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}.0` : `${s}`;
}
