/**
 * Regular expressions over peer bytes, matched by RE2 through its JavaScript port `re2js`: the time
 * a match takes grows linearly with the input whatever the pattern, so no reply can hold the event
 * loop (`/^(a+)+$/` against `aaa…a!` takes microseconds, where a backtracking engine never ends).
 *
 * Syntax: RE2's (github.com/google/re2/wiki/Syntax): classes, `\d \w \s \b`, `\xHH` and
 * `\x{HHHH}`, `\p{Greek}`, counted repeats up to 1000, `(?P<name>…)` and `(?<name>…)` groups,
 * inline flags such as `(?i)`. There are no backreferences (`\1`, `\k<name>`) and no lookaround
 * (`(?=…)`, `(?!…)`, `(?<=…)`, `(?<!…)`): both need backtracking. Flags after the closing slash:
 * `i` (case-insensitive), `m` (`^` and `$` at line ends), `s` (`.` matches `\n`), and `b` (bytes).
 *
 * How a pattern sees bytes: a value that is valid UTF-8 (RFC 3629) is matched as the text it
 * decodes to, so `/café/` matches `63 61 66 c3 a9`; any other value is matched as Latin-1, one
 * character per byte (U+0000–U+00FF), so `/^\xbe\xef/` matches a reply that begins `be ef`.
 * With `b`, every value is matched one character per byte, valid UTF-8 too: `/^\xc3\xa9/b`
 * matches `c3 a9`, and `.{4}` is four bytes whatever they are.
 * Either way a match maps back to exact byte offsets ({@link RegexMatch}).
 *
 * Pure Node: the parser, the runner and (later) captures and responders share it.
 */
import { isUtf8 } from 'node:buffer';
import { RE2JS, RE2JSSyntaxException } from 're2js';

/** The flags a `/regex/flags` literal may carry. */
export const REGEX_FLAGS = 'imsb';

/** Why a `/source/flags` literal cannot be compiled, with the span of `source` at fault (0-based UTF-16 offsets). */
export interface RegexProblem {
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

/** One match over a byte value: offsets in bytes, each group's bytes (`undefined` when it did not take part). */
export interface RegexMatch {
  readonly start: number;
  readonly end: number;
  readonly groups: readonly (Buffer | undefined)[];
  /** Named groups, by name, as their index in {@link RegexMatch.groups}. */
  readonly names: Readonly<Record<string, number>>;
}

function flagBits(flags: string): number {
  let bits = 0;
  if (flags.includes('i')) bits |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) bits |= RE2JS.MULTILINE;
  if (flags.includes('s')) bits |= RE2JS.DOTALL;
  return bits;
}

/** RE2's message for a fragment, with the ECMAScript habit behind it named. */
function explain(error: string, fragment: string): string {
  if (/^\\[1-9]/.test(fragment) || fragment.startsWith('\\k')) {
    return `backreferences such as \`${fragment.slice(0, 2)}\` are not supported: the regex engine is RE2, which matches in linear time`;
  }
  if (/^\(\?<?[=!]/.test(fragment)) {
    return `lookaround such as \`${fragment.slice(0, fragment[2] === '<' ? 4 : 3)}\` is not supported: the regex engine is RE2, which matches in linear time`;
  }
  if (fragment.startsWith('\\u')) return 'invalid escape sequence `\\u`: RE2 writes a code point as `\\x{00e9}`';
  return `${error}: \`${fragment}\``;
}

/**
 * Why `/source/flags` is not a regex this engine runs, or `undefined` when it is. Never throws.
 * The span points at the construct RE2 refused (a missing `)` or `]` points from its opening to the end).
 */
export function regexProblem(source: string, flags: string): RegexProblem | undefined {
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    if (!REGEX_FLAGS.includes(f)) {
      return { message: `flag "${f}" is not supported: a regex takes the flags i, m, s and b (bytes; the engine is RE2)`, start: source.length + 1 + i, end: source.length + 2 + i };
    }
    if (flags.indexOf(f) !== i) return { message: `flag "${f}" is given twice`, start: source.length + 1 + i, end: source.length + 2 + i };
  }
  try {
    RE2JS.compile(source, flagBits(flags));
    return undefined;
  } catch (err) {
    if (!(err instanceof RE2JSSyntaxException)) return { message: (err as Error).message, start: 0, end: source.length };
    const fragment = err.input ?? '';
    const at = fragment ? source.indexOf(fragment) : -1;
    return at < 0
      ? { message: explain(err.error ?? err.message, fragment), start: 0, end: source.length }
      : { message: explain(err.error ?? err.message, fragment), start: at, end: at + fragment.length };
  }
}

/** The named groups of a valid `/source/flags`, in the order they open (`(?P<id>…)`, `(?<id>…)`). */
export function regexGroupNames(source: string, flags: string): string[] {
  const names = RE2JS.compile(source, flagBits(flags)).namedGroups();
  return Object.keys(names).sort((a, b) => names[a] - names[b]);
}

/** How many groups a valid `/source/flags` has (`(…)`, named or not). */
export function regexGroupCount(source: string, flags: string): number {
  return RE2JS.compile(source, flagBits(flags)).groupCount();
}

/** A compiled `/source/flags`; matches byte values as the module docstring says. */
export class BytePattern {
  private static readonly cache = new Map<string, BytePattern>();
  private static readonly CACHE_SIZE = 256;
  private readonly re: RE2JS;
  /** The `b` flag: one character per byte, valid UTF-8 too. */
  private readonly bytesOnly: boolean;

  private constructor(
    readonly source: string,
    readonly flags: string,
  ) {
    this.re = RE2JS.compile(source, flagBits(flags));
    this.bytesOnly = flags.includes('b');
  }

  /**
   * The pattern for `/source/flags`, compiled once and kept in a small cache (a file repeats its
   * patterns and a listener runs them per message).
   * @throws Error with {@link regexProblem}'s message when the literal is not valid RE2 syntax.
   */
  static of(source: string, flags: string): BytePattern {
    const key = `${flags}/${source}`;
    let p = BytePattern.cache.get(key);
    if (p === undefined) {
      const problem = regexProblem(source, flags);
      if (problem) throw new Error(`invalid regular expression /${source}/${flags}: ${problem.message}`);
      if (BytePattern.cache.size >= BytePattern.CACHE_SIZE) BytePattern.cache.clear();
      p = new BytePattern(source, flags);
      BytePattern.cache.set(key, p);
    }
    return p;
  }

  /** True when the pattern matches somewhere in `bytes` (unanchored unless it says `^`/`$`). */
  test(bytes: Uint8Array): boolean {
    return this.re.test(asText(bytes, this.bytesOnly).text);
  }

  /** Every match in `bytes`, left to right and not overlapping, as byte offsets. */
  *matches(bytes: Uint8Array): Generator<{ start: number; end: number }> {
    const { text, utf8 } = asText(bytes, this.bytesOnly);
    const m = this.re.matcher(text);
    // UTF-16 units to bytes, counted on from the last offset asked for (they only grow): linear in the text.
    let units = 0;
    let at = 0;
    const offset = (to: number): number => {
      if (!utf8) return to;
      at += Buffer.byteLength(text.slice(units, to), 'utf8');
      units = to;
      return at;
    };
    // Bounded by the text: each find moves past the last match (RE2 steps over an empty one).
    while (m.find()) yield { start: offset(m.start()), end: offset(m.end()) };
  }

  /** The first match in `bytes`, or `undefined`. */
  exec(bytes: Uint8Array): RegexMatch | undefined {
    const { text, utf8 } = asText(bytes, this.bytesOnly);
    const m = this.re.matcher(text);
    if (!m.find()) return undefined;
    const encode = (s: string): Buffer => Buffer.from(s, utf8 ? 'utf8' : 'latin1');
    const offset = (units: number): number => (utf8 ? Buffer.byteLength(text.slice(0, units), 'utf8') : units);
    const groups: (Buffer | undefined)[] = [];
    for (let g = 0; g <= m.groupCount(); g++) {
      const s = m.group(g);
      groups.push(s === null || s === undefined ? undefined : encode(s));
    }
    return { start: offset(m.start()), end: offset(m.end()), groups, names: this.re.namedGroups() };
  }
}

/**
 * Replaces every match of `pattern` in `bytes` with `replacement` (the bytes as they are, no group
 * references), left to right, matches not overlapping; an empty match replaces nothing.
 * @returns the new bytes (`bytes` itself when nothing matched) and how many matches were replaced
 */
export function replaceAll(pattern: BytePattern, bytes: Buffer, replacement: Buffer): { bytes: Buffer; count: number } {
  const parts: Buffer[] = [];
  let from = 0;
  let count = 0;
  for (const { start, end } of pattern.matches(bytes)) {
    if (end === start) continue;
    parts.push(bytes.subarray(from, start), replacement);
    from = end;
    count++;
  }
  if (count === 0) return { bytes, count };
  parts.push(bytes.subarray(from));
  return { bytes: Buffer.concat(parts), count };
}

/** The text a pattern sees for `bytes`: UTF-8 when valid (and not `bytesOnly`), else Latin-1. */
function asText(bytes: Uint8Array, bytesOnly: boolean): { text: string; utf8: boolean } {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = !bytesOnly && isUtf8(buf);
  return { text: buf.toString(utf8 ? 'utf8' : 'latin1'), utf8 };
}
