/**
 * What both exports' writers share: indented lines, the notes of what has no translation, the
 * walk over a block's steps that puts a step followed by `expect error` in a try, and a target's
 * split into host and port. Each language writes its own expressions and statements.
 */
import { DEFAULT_BIND_HOST } from '../../net/address';
import type { Amount, Block, FieldPart, Header, LoadPlan, Matcher, Range, SockFile, Step, Template } from '../ast';
import { loadChecks, sessionSteps } from '../run/load';
import { blockLabel, lineOf, type ExportOptions, type Untranslated } from './common';

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
function timedTargets(steps: readonly Step[]): { readonly header: boolean; readonly steps: ReadonlySet<number> } {
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

/** True when a `set` value is integer arithmetic to compute (§8.12): an operator with spaces around it. */
export function isArithmetic(t: Template): boolean {
  return /\s[-+*×]\s/.test(t.parts.map((p) => ('text' in p ? p.text : '')).join(''));
}

/**
 * The groups of a field payload that a program names before it builds the payload: each group
 * that a `TYPE len` before it measures, or that a checksum after it covers (§4.6), by index.
 */
export function namedGroups(parts: readonly FieldPart[]): number[] {
  const wanted = new Set<number>();
  parts.forEach((part, i) => {
    if (part.kind === 'length') {
      const next = parts.findIndex((q, k) => k > i && q.kind === 'group');
      if (next >= 0) wanted.add(next);
    } else if (part.kind === 'checksum' && parts[i - 1]?.kind === 'group') {
      wanted.add(i - 1);
    }
  });
  return [...wanted].sort((a, b) => a - b);
}

/** A listener's policy lines (§7.6) as a program's policy: the entries written, by name. */
export function policyOf(block: Block): { readonly maxConns?: number; readonly allow?: readonly string[]; readonly deny?: readonly string[]; readonly idleMs?: number } {
  const p = block.policy;
  return {
    ...(p.maxConnections !== undefined ? { maxConns: p.maxConnections } : {}),
    ...(p.allow.length ? { allow: p.allow } : {}),
    ...(p.deny.length ? { deny: p.deny } : {}),
    ...(p.idleTimeoutMs !== undefined ? { idleMs: p.idleTimeoutMs } : {}),
  };
}

/** An `on` rule (§7.9). */
type Rule = Extract<Step, { kind: 'on' }>;

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
      // A repeat or an if is not a step that times: its last step inside is (§8.6.1).
      const composite = step.kind === 'repeat' || step.kind === 'if';
      const body = !timed.has(i) ? run : composite ? (): void => (run(), this.lastStepTime()) : (): void => this.timed(run);
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
  /** The duration of the connection's last step, for the `expect time` after a repeat or an if. */
  protected abstract lastStepTime(): void;

  /** `body`, which must fail as `expect` says (§10.2). */
  protected abstract guarded(body: () => void, expect: Step, m: Extract<Matcher, { kind: 'error' }>): void;

  /** One step, its comment first. */
  protected abstract step(step: Step, block: Block): void;

  /** `stats = load(…)`: the block's session function run as a load line says (§8.15). */
  protected abstract runLoad(session: string, plan: LoadPlan): void;
  /** A load expectation, checked on the load's figures once it has ended. */
  protected abstract loadCheck(step: Step, m: Extract<Matcher, { kind: 'latency' | 'errors' }>): void;
  /** A load with no load expectation passes when no session failed or erred. */
  protected abstract loadOutcome(): void;

  /** The function names of a block and of a listener block's session. */
  protected abstract functionName(block: Block): string;
  protected abstract sessionName(block: Block): string;

  /** A function's first lines (its doc, its locals for `steps`) and its last. */
  protected abstract openFunction(name: string, params: readonly string[], doc: string, steps: readonly Step[], header: boolean): void;
  protected abstract closeFunction(): void;

  /** The end of a client block: its connection closed; one pass counted for a block without an expect (§10.1). */
  protected abstract closeConnection(): void;
  protected abstract uncheckedPass(): void;

  /** The block's header statement: a connect, or a kept connection taken up. */
  protected abstract header(block: Block, h: Header): void;
  /** A listener block's function body: bind, listen and serve `session`. */
  protected abstract listener(block: Block, h: Header, session: string): void;

  /**
   * One block as functions: a listener's session function and the function that starts the
   * listener, or a client's function; the header in a try when `expect error` follows it, timed
   * when `expect time` checks it. Returns the block function's name.
   */
  block(block: Block): string {
    const h = block.header;
    const fn = this.functionName(block);
    const doc = `${block.title || `Block ${block.index}`} (${this.options.fileName}:${lineOf(block)})`;
    if (block.load && h?.kind === 'connect') {
      const session = this.sessionName(block);
      const checks = loadChecks(block);
      this.openFunction(session, ['label'], `A session of ${blockLabel(block)}'s load: its steps on a connection of its own.`, block.steps, true);
      this.clientBody(block, h, sessionSteps(block));
      this.closeFunction();
      this.openFunction(fn, ['label'], doc, [], false);
      this.comment(block.load);
      this.runLoad(session, block.load);
      for (const check of checks) {
        this.comment(check);
        this.loadCheck(check, check.matcher as Extract<Matcher, { kind: 'latency' | 'errors' }>);
      }
      if (checks.length === 0) this.loadOutcome();
      this.closeFunction();
      return fn;
    }
    if (h?.kind === 'listen') {
      const session = this.sessionName(block);
      const rules = block.steps.filter((s): s is Rule => s.kind === 'on');
      const script = block.steps.filter((s) => s.kind !== 'on');
      this.openFunction(session, ['label', 'conn'], `A session of ${blockLabel(block)}: the block's steps on one accepted ${h.transport === 'udp' ? 'datagram' : 'connection'}.`, block.steps, false);
      this.steps(script, block);
      if (rules.length > 0 || block.policy.messages) this.responder(block, rules);
      this.closeFunction();
      this.openFunction(fn, ['label'], doc, [], false);
      this.comment(h);
      this.listener(block, h, session);
      this.closeFunction();
      return fn;
    }
    this.openFunction(fn, ['label'], doc, block.steps, h !== undefined);
    this.clientBody(block, h, block.steps);
    if (!hasExpect(block.steps)) this.uncheckedPass();
    this.closeFunction();
    return fn;
  }

  /** A client, `use` or lookup block's statements: its header (in a try, timed) and `steps`, then its close. */
  private clientBody(block: Block, h: Header | undefined, all: readonly Step[]): void {
    const steps = [...all];
    let connected = h?.kind === 'connect' && !h.keep;
    if (h) {
      const first = steps[0];
      const header = timedTargets(steps).header ? (): void => this.timed(() => this.header(block, h)) : (): void => this.header(block, h);
      if (first?.kind === 'expect' && first.matcher.kind === 'error') {
        // The connect is meant to fail: there is no connection to close after it.
        this.guarded(header, first, first.matcher);
        steps.shift();
        connected = false;
      } else {
        header();
      }
    }
    this.steps(steps, block);
    // Closed at the block's end (§8.3), unless its last step did.
    if (connected && steps.at(-1)?.kind !== 'close') this.closeConnection();
  }

  /** A test of the last value (contains, at, exactly, regex) as a condition; statements it needs first go to the program. */
  protected abstract test(m: Matcher, eol: Block['eol'], node: Step, name: string): string | undefined;
  /** `recv` of a `messages` line (§7.9), or of one chunk when the block has none. */
  protected abstract recv(step: Extract<Step, { kind: 'recv' }>, eol: Block['eol']): void;
  protected abstract readChunk(): void;
  /** `while` the peer sends another message (waiting at most `bound`), `body`, and out when a rule closed the connection. */
  protected abstract messageLoop(bound: Amount | undefined, body: () => void): void;
  /** An if / else-if chain: each branch's test and body; `otherwise` when none passes. */
  protected abstract branches(tests: readonly { readonly test: string; readonly body: () => void }[], otherwise: () => void): void;
  /** A regex rule's test, its match kept for {@link namedGroupsToVariables}. */
  protected abstract keepMatch(test: string): string;
  protected abstract namedGroupsToVariables(flags: string): void;
  protected abstract logLine(text: string): void;

  /**
   * A responder (§7.9): `on connect`, then message by message the first rule whose test passes
   * (a regex's named groups become variables), `on other` for the rest, `on half-close` at the end.
   */
  private responder(block: Block, rules: readonly Rule[]): void {
    const ruleSteps = (rule: Rule): void => {
      this.comment(rule);
      this.steps(rule.steps, block);
    };
    rules.filter((r) => r.event === 'connect').forEach(ruleSteps);
    const messages = block.policy.messages;
    // A message's own timeout bounds its wait, else the listener's idle-timeout (§7.6).
    this.messageLoop(messages?.timeoutMs ?? block.policy.idleTimeoutMs, () => {
      if (messages) {
        this.comment(messages);
        this.recv(messages, block.eol);
      } else {
        this.readChunk();
      }
      const tested = rules.filter((r) => r.event === 'message');
      const tests = tested.map((rule, i) => {
        const test = this.test(rule.test as Matcher, block.eol, rule, `expected${i + 1}`) as string;
        return {
          test: rule.test?.kind === 'regex' ? this.keepMatch(test) : test,
          body: (): void => {
            this.comment(rule);
            if (rule.test?.kind === 'regex' && /\(\?P?</.test(rule.test.source)) this.namedGroupsToVariables(rule.test.flags);
            this.steps(rule.steps, block);
          },
        };
      });
      const other = rules.find((r) => r.event === 'other');
      const otherwise = (): void => (other ? ruleSteps(other) : this.logLine('no rule took this message'));
      if (tests.length > 0) this.branches(tests, otherwise);
      else if (other) ruleSteps(other);
    });
    rules.filter((r) => r.event === 'half-close').forEach(ruleSteps);
  }
}
