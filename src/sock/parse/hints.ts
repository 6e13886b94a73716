/**
 * "Did you mean" for the `.sock` parser: the nearest keyword to a misspelt word, by edit distance
 * (optimal string alignment: insert, delete, replace, or swap two neighbours).
 */

/** Three rows of {@link distanceWithin}'s table, reused: verbs and keywords are short, and longer words never reach it. */
const DISTANCE_ROWS = [new Int32Array(32), new Int32Array(32), new Int32Array(32)];

/**
 * The edit distance of `a` and `b` (optimal string alignment: insert, delete, replace, or swap two
 * neighbours, so `lien` is one edit from `line`), or `limit + 1` when it is over `limit`; for
 * "did you mean" hints. Banded: a row computes only the cells within `limit` of its diagonal, as
 * no other cell can be within the limit. `b` is at most 30 characters.
 */
function distanceWithin(a: string, b: string, limit: number): number {
  const n = a.length;
  const m = b.length;
  const over = limit + 1;
  if (Math.abs(n - m) > limit || m > 30) return over;
  let [before, prev, row] = DISTANCE_ROWS;
  for (let j = 0; j <= m && j <= over; j++) prev[j] = j;
  let prevBest = 0;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - limit);
    const hi = Math.min(m, i + limit);
    // The cells just outside the band, which the next rows read, count as over the limit.
    row[lo - 1] = i <= limit ? i : over;
    if (hi < m) row[hi + 1] = over;
    let best = row[lo - 1];
    const ca = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      const cb = b.charCodeAt(j - 1);
      let d = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca === cb ? 0 : 1));
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) d = Math.min(d, before[j - 2] + 1);
      if (d > over) d = over;
      row[j] = d;
      if (d < best) best = d;
    }
    // Every way on goes through this row or the one before it: once both are over the limit, so is the distance.
    if (best > limit && prevBest > limit) return over;
    prevBest = best;
    const spare = before;
    before = prev;
    prev = row;
    row = spare;
  }
  return Math.min(prev[m], over);
}

/**
 * The word of `words` closest to `word` (the first of the closest), or `''` when none is near: at
 * most 2 edits apart, 1 when both are 3 characters or fewer (`x` is not a near miss of `lf`).
 */
export function closestWord(words: readonly string[], word: string): string {
  let hint = '';
  let best = 3;
  for (const w of words) {
    const limit = Math.min(best - 1, word.length <= 3 && w.length <= 3 ? 1 : 2);
    if (limit < 0) break;
    const d = distanceWithin(word, w, limit);
    if (d <= limit && d < best) {
      hint = w;
      best = d;
    }
  }
  return hint;
}

