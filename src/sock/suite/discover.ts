/**
 * Which `.sock` files a test run takes: the files given, and every `.sock` file under the folders
 * given, skipping what the `.gitignore` files on the way ignore (as git reads them, with the
 * `ignore` package), `.git` and `node_modules`. Symbolic links to folders are not followed, so a
 * link loop cannot trap the walk.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** The most files one run takes; a walk that finds more stops with an error. */
export const MAX_SUITE_FILES = 10_000;
/** The deepest folder a walk enters below a folder given. */
export const MAX_WALK_DEPTH = 32;

const ALWAYS_SKIPPED = new Set(['.git', 'node_modules']);

/** A folder's ignore rules: those of `.gitignore` files from the walk's root down to it. */
interface Rules {
  readonly base: string;
  readonly ig: Ignore;
}

/**
 * The `.sock` files of `paths` (files and folders, relative to `cwd`), sorted, each once, as paths
 * relative to `cwd` when they lie under it.
 * @throws Error naming a path that does not exist, and when more than {@link MAX_SUITE_FILES} files are found
 */
export async function discoverSockFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  const found = new Set<string>();
  for (const p of paths.length > 0 ? paths : ['.']) {
    const abs = resolve(cwd, p);
    const st = await stat(abs).catch(() => undefined);
    if (!st) throw new Error(`${p}: no such file or folder`);
    if (st.isFile()) found.add(abs);
    else if (st.isDirectory()) await walk(abs, await ancestorRules(cwd, abs), 0, found);
    if (found.size > MAX_SUITE_FILES) throw new Error(`more than ${MAX_SUITE_FILES} .sock files under ${p}; name fewer folders`);
  }
  return [...found].sort().map((f) => (f.startsWith(cwd + sep) ? relative(cwd, f) : f));
}

/** The rules of the `.gitignore` files from `cwd` down to the parent of `dir` (none when `dir` is not under `cwd`). */
async function ancestorRules(cwd: string, dir: string): Promise<Rules[]> {
  const rel = relative(cwd, dir);
  if (rel === '' || rel.startsWith('..') || resolve(cwd, rel) !== dir) return [];
  const rules: Rules[] = [];
  let at = cwd;
  for (const part of ['', ...rel.split(sep).slice(0, -1)]) {
    at = join(at, part);
    const text = await readFile(join(at, '.gitignore'), 'utf8').catch(() => undefined);
    if (text !== undefined) rules.push({ base: at, ig: ignore().add(text) });
  }
  return rules;
}

async function walk(dir: string, rules: readonly Rules[], depth: number, found: Set<string>): Promise<void> {
  if (depth > MAX_WALK_DEPTH || found.size > MAX_SUITE_FILES) return;
  const own = await readFile(join(dir, '.gitignore'), 'utf8').catch(() => undefined);
  const here = own === undefined ? rules : [...rules, { base: dir, ig: ignore().add(own) }];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (ALWAYS_SKIPPED.has(e.name)) continue;
    const full = join(dir, e.name);
    const folder = e.isDirectory();
    if (ignored(here, full, folder)) continue;
    if (folder) await walk(full, here, depth + 1, found);
    else if (e.isFile() && e.name.endsWith('.sock')) found.add(full);
    if (found.size > MAX_SUITE_FILES) return;
  }
}

/** Whether a `.gitignore` on the way ignores `full` (a folder's rules match it with a trailing slash). */
function ignored(rules: readonly Rules[], full: string, folder: boolean): boolean {
  for (const r of rules) {
    const rel = relative(r.base, full).split(sep).join('/');
    if (r.ig.ignores(folder ? `${rel}/` : rel)) return true;
  }
  return false;
}
