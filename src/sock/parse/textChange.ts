/**
 * Where a text changed: the lines a change covers, found by comparing the text before and after
 * (their common start and end), for a parse that reads only the block those lines are in
 * (`reparseSock`).
 */

/** The lines a change covers, the same number before and after it. */
export interface LineChange {
  /** The first and last line (0-based) the change touches; every other line is as it was, at the same number. */
  readonly firstLine: number;
  readonly lastLine: number;
  /** The offset, in the text after the change, where line `line` (at most {@link firstLine}) starts. */
  lineStart(line: number): number;
  /**
   * True when, before and after the change, the changed lines that are `###` lines are exactly
   * line `blockStart`: no block starts or ends because of the change.
   */
  blockLinesKept(blockStart: number): boolean;
}

/** Strings compared a chunk at a time before the characters of the first chunk that differs. */
const CHUNK = 1024;

/** The length of the longest common start of `a` and `b`. */
function commonStart(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i + CHUNK <= n && a.slice(i, i + CHUNK) === b.slice(i, i + CHUNK)) i += CHUNK;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** The length of the longest common end of `a` and `b`, at most `max`. */
function commonEnd(a: string, b: string, max: number): number {
  let i = 0;
  while (i + CHUNK <= max && a.slice(a.length - i - CHUNK, a.length - i) === b.slice(b.length - i - CHUNK, b.length - i)) i += CHUNK;
  while (i < max && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  return i;
}

/** The number of `\n` in `text[from, to)`. */
function newlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The offset of the start of the line that holds offset `at`. */
function lineStartAt(text: string, at: number): number {
  return at === 0 ? 0 : text.lastIndexOf('\n', at - 1) + 1;
}

const BLOCK_LINE = /^\s*###/;

/** True when each line of `text[from, to)` (whole lines) is a `###` line exactly when it is line `blockStart`, the first being line `first`. */
function blockLinesAt(text: string, from: number, to: number, first: number, blockStart: number): boolean {
  let line = first;
  let start = from;
  while (start <= to) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (BLOCK_LINE.test(text.slice(start, Math.min(end, start + 64))) !== (line === blockStart)) return false;
    start = end + 1;
    line++;
  }
  return true;
}

/**
 * The lines that differ between `before` and `after`, or `undefined` when the change adds or
 * removes lines (or the texts are equal): the lines after it then have other numbers.
 */
export function changedLines(before: string, after: string): LineChange | undefined {
  if (before === after) return undefined;
  const start = commonStart(before, after);
  const end = commonEnd(before, after, Math.min(before.length, after.length) - start);
  const beforeEnd = before.length - end;
  const afterEnd = after.length - end;
  const lines = newlines(after, start, afterEnd);
  if (newlines(before, start, beforeEnd) !== lines) return undefined;
  const firstLine = newlines(after, 0, start);
  const firstStart = lineStartAt(after, start);
  return {
    firstLine,
    lastLine: firstLine + lines,
    lineStart(line: number): number {
      let at = firstStart;
      for (let l = firstLine; l > line; l--) at = lineStartAt(after, at - 1);
      return at;
    },
    blockLinesKept(blockStart: number): boolean {
      // The changed lines start at the same offset in both texts, and end at the same line.
      return blockLinesAt(before, firstStart, beforeEnd, firstLine, blockStart) && blockLinesAt(after, firstStart, afterEnd, firstLine, blockStart);
    },
  };
}
