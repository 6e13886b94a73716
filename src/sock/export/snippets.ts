/**
 * The helpers an exported program carries (spec §16): snippets of code by name, each with the
 * modules it imports and the helpers it calls, so that a program holds only what its blocks use.
 */

/** One helper: its code, the modules it imports and the helpers it calls. */
export interface Snippet {
  readonly imports: readonly string[];
  readonly needs: readonly string[];
  readonly code: string;
}

/** A snippet; its code's first newline (after the opening backtick) dropped. */
export const S = (imports: string[], needs: string[], code: string): Snippet => ({ imports, needs, code: code.replace(/^\n/, '') });

/**
 * The helpers `used` need (and `core`, always), in the table's order, and the modules they import.
 * @throws TypeError for a name the table does not have (a defect of a writer)
 */
export function prelude(table: Readonly<Record<string, Snippet>>, used: ReadonlySet<string>): { readonly imports: string[]; readonly code: string } {
  const all = new Set<string>();
  const visit = (name: string): void => {
    if (all.has(name)) return;
    const snippet = table[name];
    if (!snippet) throw new TypeError(`no helper named ${name}`);
    all.add(name);
    for (const n of snippet.needs) visit(n);
  };
  visit('core');
  for (const name of used) visit(name);
  const names = Object.keys(table).filter((n) => all.has(n));
  return { imports: [...new Set(names.flatMap((n) => table[n].imports))].sort(), code: names.map((n) => table[n].code).join('\n\n') };
}
