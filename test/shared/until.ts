/**
 * Polls `f` every 20 ms until it returns something other than `undefined`, at most `ms`; shared by
 * the unit and integration tests. Bounded: it never waits longer than `ms`.
 *
 * @throws Error `timed out waiting for WHAT`
 */
export async function until<T>(what: string, f: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
