/**
 * What `{{…}}` means during a run: a file variable (`@name = …`), a running listener's address
 * or field (`{{greeter}}`, `{{greeter.port}}`), or a built-in (`{{$timestamp}}`,
 * `{{$randomInt A B}}`, `{{$env NAME}}`), and the bounded expansion of templates that use them.
 *
 * Every expansion that a step starts is bounded ({@link EXPANSION_LIMITS}): variables that refer
 * to each other twice over (`@v2 = {{v1}}{{v1}}`, and so on) grow exponentially in size or in
 * work, and fail with `EVARIABLE` naming the variable as soon as a limit is passed, instead of
 * running for ever or exhausting memory.
 */
import { isUtf8 } from 'node:buffer';
import { randomInt } from 'node:crypto';
import { parseIntLiteral } from '../net/fields';
import { createError } from '../net/errors';
import type { Amount, SockFile, Template, TemplatePart } from './ast';
import { durationTooLong, MAX_DURATION_MS, parseDuration } from './parse/lexer';
import { printTemplate } from './printer';

/** The limits of one expansion (one payload, target or path of a step). */
export const EXPANSION_LIMITS = {
  /** Characters (UTF-16 code units) the expanded text may reach: 16 MiB, the largest `recv`. */
  maxChars: 16 * 1024 * 1024,
  /** How deep variables may refer to variables: `{{a}}` → `{{b}}` → … */
  maxDepth: 32,
  /** Variable references one expansion may follow, however they nest. */
  maxReferences: 100_000,
} as const;

/** What a listener block exposes to later blocks as `{{name}}`, `{{name.port}}` …. */
export interface ListenerInfo {
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  readonly address: string;
}

/** The running count of one expansion against {@link EXPANSION_LIMITS}. */
export class ExpansionBudget {
  private chars = 0;
  private references = 0;
  /** The variable the step named, for the error message. */
  private top: string | undefined;

  /** Counts one reference to `name` at `depth` (1 for a reference the step wrote). @throws EVARIABLE past a limit. */
  reference(name: string, depth: number): void {
    if (depth === 1) this.top = name;
    const via = this.top !== undefined && this.top !== name ? ` (through "${name}")` : '';
    if (depth > EXPANSION_LIMITS.maxDepth) {
      throw createError('EVARIABLE', `variable "${this.top ?? name}" nests variables more than ${EXPANSION_LIMITS.maxDepth} deep${via}`);
    }
    if (++this.references > EXPANSION_LIMITS.maxReferences) {
      throw createError('EVARIABLE', `variable "${this.top ?? name}" needs more than ${EXPANSION_LIMITS.maxReferences.toLocaleString('en-US')} variable references to expand${via}: do variables use each other more than once?`);
    }
  }

  /** Counts `n` characters of the step's text. @throws EVARIABLE past the size limit. */
  grow(n: number, name: string | undefined): void {
    this.chars += n;
    this.check(this.chars, name);
  }

  /** @throws EVARIABLE when a value of `n` characters is past the size limit. */
  check(n: number, name: string | undefined): void {
    if (n <= EXPANSION_LIMITS.maxChars) return;
    const what = name ?? this.top;
    const via = what !== undefined && this.top !== undefined && this.top !== what ? ` (through "${what}")` : '';
    throw createError('EVARIABLE', `${this.top ?? what ? `variable "${this.top ?? what}"` : 'the expansion'} expands past ${EXPANSION_LIMITS.maxChars.toLocaleString('en-US')} characters${via}`);
  }
}

/** The variables of one run and how `{{…}}` expands. */
export class Scope {
  /** The variables being expanded, outermost first: a second entry of one is a cycle. */
  private readonly onStack = new Set<string>();
  /** Values `capture` and `set` steps gave, by name: the last one wins, for the rest of the run. */
  private readonly captures = new Map<string, Buffer>();

  constructor(
    private file: SockFile,
    /** The running listener named `name`, if any. */
    private readonly listener: (name: string) => ListenerInfo | undefined,
    /** Whether `{{$env NAME}}` reads the environment (false in untrusted workspaces). */
    private readonly allowEnv: boolean,
    /** Values given from outside the file (`--var NAME=VALUE`): literal text, before the file's own. */
    private readonly given: ReadonlyMap<string, string> = new Map(),
  ) {}

  /**
   * A scope of its own that starts with this one's variables: a load session's (§8.15). What it
   * assigns, this scope does not see, nor the other way round.
   */
  fork(): Scope {
    const s = new Scope(this.file, this.listener, this.allowEnv, this.given);
    for (const [name, value] of this.captures) s.captures.set(name, value);
    return s;
  }

  /** Sets `{{name}}` for every later step of the run: the bytes a `capture` took, or a `set`'s value. */
  assign(name: string, value: Buffer): void {
    this.captures.set(name, value);
  }

  /**
   * A count as its step reads it: the number written, or its `{{…}}` expanded and read as a
   * whole number from `min` to `max`.
   * @param what the statement, for the message (`recv exactly`)
   * @throws SocketLabError `EVARIABLE` naming the variable and what it held
   */
  count(v: Amount, what: string, min: number, max: number): number {
    if (typeof v === 'number') return v;
    const text = this.expand(v).trim();
    const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) throw createError('EVARIABLE', `${what} ${printTemplate(v)}: "${text}" is not a count from ${min} to ${max}`);
    return n;
  }

  /**
   * An integer field's value as its step reads it: the literal written (`60`, `0x3c`, `-1`), or
   * its `{{…}}` expanded and read as one (spec §4.6).
   * @param what the field, for the message (`u16`)
   * @throws SocketLabError `EVARIABLE` naming the variable and what it held
   */
  integer(v: string | Template, what: string): bigint {
    const text = typeof v === 'string' ? v : this.expand(v).trim();
    const n = parseIntLiteral(text);
    if (n === undefined) throw createError('EVARIABLE', `${what} ${typeof v === 'string' ? v : printTemplate(v)}: "${text.slice(0, 40)}" is not an integer such as 60, 0x3c or -1`);
    return n;
  }

  /**
   * A duration as its step reads it, in ms: the one written, or its `{{…}}` expanded and read
   * as a duration (`2s`, `500ms`, `1m`; a template such as `{{n}}ms` adds the unit).
   * @throws SocketLabError `EVARIABLE` naming the variable and what it held
   */
  duration(v: Amount, what: string): number {
    if (typeof v === 'number') return v;
    const text = this.expand(v).trim();
    const ms = parseDuration(text);
    if (ms === undefined) throw createError('EVARIABLE', `${what} ${printTemplate(v)}: "${text}" is not a duration such as 2s, 500ms or 1m`);
    if (ms > MAX_DURATION_MS) throw createError('EVARIABLE', `${what} ${printTemplate(v)}: ${durationTooLong(text)}`);
    return ms;
  }

  /** Uses the variables of `file` from now on (the editor re-parses as the text changes). */
  setFile(file: SockFile): void {
    this.file = file;
  }

  /** The text of `t` with every `{{…}}` replaced. @throws EVARIABLE for a missing, self-referring or oversized variable. */
  expand(t: Template, budget = new ExpansionBudget()): string {
    return this.expandAt(t, budget, 0, undefined);
  }

  /**
   * The bytes of one `{{…}}` part of a payload, counted in `budget`: a captured value's own
   * bytes, exactly; any other value's text as UTF-8.
   */
  partBytes(p: Exclude<TemplatePart, { text: string }>, budget: ExpansionBudget): Buffer {
    const captured = 'variable' in p ? this.captures.get(p.variable) : undefined;
    if (captured === undefined) return Buffer.from(this.part(p, budget), 'utf8');
    budget.reference((p as { variable: string }).variable, 1);
    budget.grow(captured.length, (p as { variable: string }).variable);
    return captured;
  }

  /** The value of one `{{…}}` part, counted in `budget` (a payload expands its parts one by one). */
  part(p: Exclude<TemplatePart, { text: string }>, budget: ExpansionBudget): string {
    const v = this.partAt(p, budget, 1);
    budget.grow(v.length, 'variable' in p ? p.variable : undefined);
    return v;
  }

  private expandAt(t: Template, budget: ExpansionBudget, depth: number, name: string | undefined): string {
    let out = '';
    for (const p of t.parts) {
      const piece = 'text' in p ? p.text : this.partAt(p, budget, depth + 1);
      out += piece;
      if (depth === 0) budget.grow(piece.length, 'variable' in p ? p.variable : name);
      else budget.check(out.length, name);
    }
    return out;
  }

  private partAt(p: Exclude<TemplatePart, { text: string }>, budget: ExpansionBudget, depth: number): string {
    if ('variable' in p) return this.value(p.variable, budget, depth);
    const b = p.builtin;
    switch (b.name) {
      case 'timestamp':
        return String(Math.floor(Date.now() / 1000));
      case 'randomInt':
        return String(randomInt(b.min, b.max));
      case 'env': {
        if (!this.allowEnv) throw createError('EVARIABLE', `{{$env ${b.variable}}} is not expanded here: reading the environment is off (untrusted workspace)`);
        const v = process.env[b.variable];
        if (v === undefined) throw createError('EVARIABLE', `environment variable ${b.variable} is not set`);
        return v;
      }
    }
  }

  /**
   * The value of `{{name}}` at `depth`: a capture (its bytes as text: UTF-8 when they are valid
   * UTF-8, else one character per byte), a `--var`, a file variable, or a listener's address or field.
   */
  private value(name: string, budget: ExpansionBudget, depth: number): string {
    const [base, field] = name.split('.');
    const captured = field === undefined ? this.captures.get(base) : undefined;
    if (captured !== undefined) {
      budget.reference(base, depth);
      return captured.toString(isUtf8(captured) ? 'utf8' : 'latin1');
    }
    const given = field === undefined ? this.given.get(base) : undefined;
    if (given !== undefined) {
      budget.reference(base, depth);
      return given;
    }
    const variable = field === undefined ? this.file.variables.get(base) : undefined;
    if (variable) {
      budget.reference(base, depth);
      if (this.onStack.has(base)) throw createError('EVARIABLE', `variable "${base}" refers to itself`);
      this.onStack.add(base);
      try {
        return this.expandAt(variable.value, budget, depth, base);
      } finally {
        this.onStack.delete(base);
      }
    }
    const info = this.listener(base);
    if (!info) throw createError('EVARIABLE', `"${base}" has no value yet: no capture has set it, and no listener of that name is running (run its block first)`);
    const v = field === undefined || field === 'address' ? info.address : info[field as 'host' | 'port' | 'path'];
    if (v === undefined) throw createError('EVARIABLE', `listener "${base}" has no ${field}`);
    return String(v);
  }
}
