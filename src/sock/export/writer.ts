/**
 * What both exports' writers share: indented lines, the notes of what has no translation, the
 * walk over a block's steps that puts a step followed by `expect error` in a try, and a target's
 * split into host and port. Each language writes its own expressions and statements.
 */
import { DEFAULT_BIND_HOST } from '../../net/address';
import type { Block, Matcher, Range, SockFile, Step, Template } from '../ast';
import { lineOf, type ExportOptions, type Untranslated } from './common';

/** True when `steps` hold an `expect`, inside a repeat, a rule or an if included. */
export function hasExpect(steps: readonly Step[]): boolean {
  return steps.some((s) => s.kind === 'expect' || ((s.kind === 'repeat' || s.kind === 'on') && hasExpect(s.steps)) || (s.kind === 'if' && hasExpect([...s.steps, ...s.otherwise])));
}

/** Steps that leave the last step's duration alone (§8.6.1): `expect time` times the step before them. */
const UNTIMED: ReadonlySet<Step['kind']> = new Set(['expect', 'capture', 'set']);

/**
 * Which statements an `expect time` times: for each, the nearest step before it that connected,
 * sent, received, waited or looked up; the block's header when no step before it did.
 */
export function timedTargets(steps: readonly Step[]): { readonly header: boolean; readonly steps: ReadonlySet<number> } {
  const marked = new Set<number>();
  let header = false;
  steps.forEach((s, j) => {
    if (s.kind !== 'expect' || s.matcher.kind !== 'time') return;
    let i = j - 1;
    while (i >= 0 && UNTIMED.has(steps[i].kind)) i--;
    if (i >= 0) marked.add(i);
    else header = true;
  });
  return { header, steps: marked };
}

/** True when `steps` hold an `expect time`, nested ones included. */
export function hasTime(steps: readonly Step[]): boolean {
  return steps.some((s) => (s.kind === 'expect' && s.matcher.kind === 'time') || ((s.kind === 'repeat' || s.kind === 'on') && hasTime(s.steps)) || (s.kind === 'if' && hasTime([...s.steps, ...s.otherwise])));
}

/** The literal text of a template with no `{{…}}`, or `undefined`. */
export function literalText(t: Template): string | undefined {
  return t.parts.every((p) => 'text' in p) ? t.parts.map((p) => ('text' in p ? p.text : '')).join('') : undefined;
}

/**
 * A `HOST:PORT` target cut at its last literal colon: the host (brackets of `[::1]` off; the
 * default bind host for a listener's `:PORT` or port alone) and the port, each a template.
 * `undefined` when no colon is written (`{{upstream}}`): the value is cut when the program runs.
 */
export function splitTarget(t: Template, listener: boolean): { host: Template; port: Template } | undefined {
  const parts = t.parts;
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i];
    if (!('text' in p)) continue;
    const colon = p.text.lastIndexOf(':');
    if (colon < 0) continue;
    const hostParts = [...parts.slice(0, i), ...(colon > 0 ? [{ text: p.text.slice(0, colon) }] : [])];
    const portParts = [...(colon + 1 < p.text.length ? [{ text: p.text.slice(colon + 1) }] : []), ...parts.slice(i + 1)];
    const unbracket = hostParts.map((q, k) => {
      if (!('text' in q)) return q;
      let text = q.text;
      if (k === 0) text = text.replace(/^\[/, '');
      if (k === hostParts.length - 1) text = text.replace(/\]$/, '');
      return { text };
    });
    const host = unbracket.length === 0 || (unbracket.length === 1 && 'text' in unbracket[0] && unbracket[0].text === '') ? [{ text: DEFAULT_BIND_HOST }] : unbracket;
    return { host: { parts: host, range: t.range }, port: { parts: portParts, range: t.range } };
  }
  if (listener && literalText(t) !== undefined) return { host: { parts: [{ text: DEFAULT_BIND_HOST }], range: t.range }, port: t };
  return undefined;
}

/** Lines, notes and the walk; a language fills in the statements. */
export abstract class ProgramWriter {
  protected lines: string[] = [];
  protected depth = 0;
  protected readonly used = new Set<string>();
  protected readonly imports = new Set<string>();
  protected readonly notes: Untranslated[] = [];

  constructor(
    protected readonly file: SockFile,
    protected readonly options: ExportOptions,
  ) {}

  /** The comment marker: `#` or `//`. */
  protected abstract readonly commentMark: string;

  protected emit(line: string): void {
    this.lines.push(line === '' ? '' : (this.indentUnit.repeat(this.depth) + line));
  }

  protected abstract readonly indentUnit: string;

  /** A statement with no translation: a comment in the program and a note for stderr. */
  protected untranslated(node: { readonly range: Range; readonly source?: string }, reason: string): void {
    const source = node.source ?? '';
    this.notes.push({ line: lineOf(node), source, reason });
    this.emit(`${this.commentMark} NOT TRANSLATED (${this.options.fileName}:${lineOf(node)}  ${source}): ${reason}`);
  }

  /** The comment that names the `.sock` line a statement came from. */
  protected comment(node: { readonly range: Range; readonly source: string }): void {
    this.emit(`${this.commentMark} ${this.options.fileName}:${lineOf(node)}  ${node.source.split('\n')[0]}`);
  }

  /** The steps of a block or session in order; a step followed by `expect error` goes through {@link guarded}. */
  protected steps(steps: readonly Step[], block: Block): void {
    const timed = timedTargets(steps).steps;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      const next = steps[i + 1];
      const run = (): void => this.step(step, block);
      const body = timed.has(i) ? (): void => this.timed(run) : run;
      if (next?.kind === 'expect' && next.matcher.kind === 'error' && step.kind !== 'expect') {
        this.guarded(body, next, next.matcher);
        i++;
      } else {
        body();
      }
    }
  }

  /** `body`, its duration kept for the `expect time` after it (`elapsed_ms`, `elapsedMs`). */
  protected abstract timed(body: () => void): void;

  /** `body`, which must fail as `expect` says (§10.2). */
  protected abstract guarded(body: () => void, expect: Step, m: Extract<Matcher, { kind: 'error' }>): void;

  /** One step, its comment first. */
  protected abstract step(step: Step, block: Block): void;
}
