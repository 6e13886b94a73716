/**
 * The integer arithmetic of `set NAME = VALUE` (§8.12): once its `{{…}}` are expanded, a value
 * made only of integers joined by `+`, `-`, `*` or `×`, each operator with spaces around it
 * (`{{n}} + 1`, `{{len}} * 2 - 4`), is computed; any other value is kept as text, so `10-20` or
 * `a + b` stay as written. `*` and `×` bind tighter than `+` and `-`; the rest goes left to right.
 * Integers are exact (BigInt) within 64 bits, signed.
 */
import { createError } from '../../net/errors';

const EXPRESSION = /^\s*-?\d+(?:\s+[-+*×]\s+-?\d+)+\s*$/;
const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);

/**
 * The value `text` stands for: the result of its arithmetic, in decimal, or `text` itself.
 * @throws SocketLabError `EVARIABLE` when a number or a step of the arithmetic leaves the signed 64-bit range
 */
export function evaluate(text: string, name: string): string {
  if (!EXPRESSION.test(text)) return text;
  const tokens = text.trim().split(/\s+/);
  const check = (v: bigint): bigint => {
    if (v > MAX || v < MIN) throw createError('EVARIABLE', `set ${name}: ${text.trim()} leaves the signed 64-bit range (${MIN} to ${MAX})`);
    return v;
  };
  // Products first, into terms; then the sum of the terms, left to right.
  const terms: bigint[] = [check(BigInt(tokens[0]))];
  const signs: ('+' | '-')[] = [];
  for (let i = 1; i < tokens.length; i += 2) {
    const op = tokens[i];
    const n = check(BigInt(tokens[i + 1]));
    if (op === '*' || op === '×') terms[terms.length - 1] = check(terms[terms.length - 1] * n);
    else {
      signs.push(op as '+' | '-');
      terms.push(n);
    }
  }
  let sum = terms[0];
  for (let k = 0; k < signs.length; k++) sum = check(signs[k] === '+' ? sum + terms[k + 1] : sum - terms[k + 1]);
  return sum.toString();
}
