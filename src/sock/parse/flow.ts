/**
 * The steps that shape a run (spec §8.8–§8.13): `repeat N [every D] [until TEST]` … `end`,
 * `if TEST` … `else` … `end`, `set NAME = VALUE`, `wait D` and `await NAME EVENT [N] [timeout D]`.
 * Every loop has a bound: a count of at most {@link MAX_REPEAT}, nesting at most
 * {@link MAX_REPEAT_DEPTH} deep.
 */
import { regexGroupNames } from '../../net/regex';
import type { Amount, Fault, Rate, Step } from '../ast';
import type { BlockDraft, OpenGroup } from './blockDraft';
import { findPair, LineError } from './lexer';
import { KEYWORDS, NAME, type LineParser } from './lineParser';
import { parseTest } from './payloads';
import { parseMessageMatcher } from './receive';

/** The largest count of `repeat N`. */
export const MAX_REPEAT = 1_000_000;
/** The largest N of `await NAME accepted|datagram|data N`: connections, datagrams or bytes. */
export const MAX_AWAIT_COUNT = 1_000_000;
/** How deep `repeat`s and `if`s may nest: deeper files are refused at parse time rather than run on a deep stack. */
export const MAX_REPEAT_DEPTH = 16;

/**
 * Opens a group on the current line, before its line is checked: a mistake on the line is its
 * one error, and its `end` still closes it instead of adding "end without repeat".
 */
export function openGroup(p: LineParser, draft: BlockDraft, test?: 'if'): OpenGroup {
  const verb = p.text.slice(p.lineStart + p.verbStart, p.lineStart + p.verbEnd);
  const group: OpenGroup = { range: p.range(p.verbStart, p.verbEnd), source: verb, lineOk: false, steps: [], count: 1 };
  if (test) {
    group.test = { kind: 'regex', source: '', flags: '' };
    group.elseSteps = [];
  }
  draft.groups.push(group);
  draft.hasStatements = true;
  return group;
}

/** Marks a group's line as parsed: its range and source end where the line's last word does. */
function placeGroup(p: LineParser, group: OpenGroup): void {
  group.range = p.statementRange();
  group.source = p.statementSource();
  group.lineOk = true;
}

/** `repeat N [every D] [until TEST]`. */
export function parseRepeat(p: LineParser, draft: BlockDraft): void {
  const { c } = p;
  const group = openGroup(p, draft);
  // One error, at the first repeat past the limit.
  if (draft.groups.length === MAX_REPEAT_DEPTH + 1) throw p.verbError(`repeats nest at most ${MAX_REPEAT_DEPTH} deep`);
  const n = c.word('a count, e.g. repeat 10');
  if (n.text.includes('{{')) group.count = p.template(p.lineStart + n.start, p.lineStart + n.end);
  else if (!/^\d+$/.test(n.text) || Number(n.text) < 1 || Number(n.text) > MAX_REPEAT) throw p.literalRequired('a count', 'repeat 10') ?? new LineError(`repeat takes a count from 1 to ${MAX_REPEAT}`, n.start, n.end);
  else group.count = Number(n.text);
  while (!c.atEnd()) {
    const kw = c.word('');
    if (kw.text === 'every' && group.everyMs === undefined && group.rate === undefined && group.until === undefined) {
      group.everyMs = p.durationOrVariable();
    } else if (kw.text === 'rate' && group.everyMs === undefined && group.rate === undefined && group.until === undefined) {
      group.rate = parseRate(p, true);
    } else if (kw.text === 'until' && group.until === undefined) {
      group.until = parseTest(p, KEYWORDS.repeatUntil, 'repeat N until');
      c.expectEnd();
    } else {
      throw p.keywordError(KEYWORDS.every, `unexpected "${kw.text}" (expected "every DURATION", "rate R/s" or "until PAYLOAD|/REGEX/")`, `unexpected "${kw.text}"`);
    }
  }
  placeGroup(p, group);
}

/** The fastest rate: rounds or sessions a second, or bytes a second (1 GB/s). */
export const MAX_RATE_PER_SECOND = 1_000_000;
export const MAX_BYTE_RATE = 1_000_000_000;
const BYTE_UNITS: Record<string, number> = { B: 1, KB: 1000, MB: 1_000_000, GB: 1_000_000_000, KiB: 1024, MiB: 1024 * 1024, GiB: 1024 * 1024 * 1024 };

/**
 * A rate after the word `rate`: `R/s` (rounds or sessions a second, 1 to 1,000,000), or with
 * `bytes` allowed, `NB/s`, `NKB/s`, `NMB/s`, `NGB/s`, `NKiB/s`, `NMiB/s`, `NGiB/s` (up to 1 GB/s;
 * a decimal fraction is allowed).
 */
export function parseRate(p: LineParser, bytes: boolean): Rate {
  const r = p.c.word('a rate such as 500/s');
  const rounds = /^(\d{1,7})\/s$/.exec(r.text);
  if (rounds) {
    const n = Number(rounds[1]);
    if (n < 1 || n > MAX_RATE_PER_SECOND) throw new LineError(`rate takes from 1 to ${MAX_RATE_PER_SECOND} a second, not ${n}`, r.start, r.end);
    return { per: 'round', perSecond: n, text: r.text };
  }
  const m = bytes ? /^(\d{1,10}(?:\.\d{1,3})?)(B|KB|MB|GB|KiB|MiB|GiB)\/s$/.exec(r.text) : null;
  if (m) {
    const n = Number(m[1]) * BYTE_UNITS[m[2]];
    if (!(n >= 1 && n <= MAX_BYTE_RATE)) throw new LineError(`a byte rate is from 1B/s to 1GB/s, not ${r.text}`, r.start, r.end);
    return { per: 'byte', perSecond: n, text: r.text };
  }
  throw new LineError(bytes ? `rate takes rounds a second (rate 500/s) or bytes a second (rate 2MB/s, 64KiB/s); not "${r.text}"` : `rate takes sessions a second, e.g. rate 500/s; not "${r.text}"`, r.start, r.end);
}

/** `if TEST`. */
export function parseIf(p: LineParser, draft: BlockDraft): void {
  const group = openGroup(p, draft, 'if');
  if (draft.groups.length === MAX_REPEAT_DEPTH + 1) throw p.verbError(`repeat and if nest at most ${MAX_REPEAT_DEPTH} deep`);
  group.test = parseTest(p, KEYWORDS.ifPayload, 'if');
  p.c.expectEnd();
  placeGroup(p, group);
}

/**
 * `on connect|half-close|other|TEST`: opens a responder rule (§7.9), which `end` closes. Rules
 * stand at the top of a listener block, after its steps; a rule holds no receive of its own (the
 * block's `messages` line reads each message) and no other rule.
 */
export function parseOn(p: LineParser, draft: BlockDraft): void {
  const { c } = p;
  const inside = draft.groups.length > 0;
  const group = openGroup(p, draft);
  if (draft.headerVerb !== 'listen') throw p.verbError('on is a responder rule of a listener: put it in a block that starts with listen');
  if (inside) throw p.verbError('a rule stands at the top of its block, not inside a repeat, an if or another rule');
  if (c.atEnd()) throw p.verbError('on takes connect, half-close, other, or a test of the message: "text", hex …, exactly …, /regex/');
  const save = c.pos;
  c.next('');
  if (c.is('connect') || c.is('half-close') || c.is('other')) {
    group.on = { event: c.is('connect') ? 'connect' : c.is('half-close') ? 'half-close' : 'other' };
    c.expectEnd();
  } else {
    c.pos = save;
    const test = parseMessageMatcher(p);
    c.expectEnd();
    group.on = { event: 'message', test };
    // Named groups become variables for the rule's steps and every later one, as capture's do.
    if (test.kind === 'regex') for (const name of regexGroupNames(test.source, test.flags)) p.giveCapture(name);
  }
  if (group.on.event === 'half-close' && draft.transport === 'udp') throw p.verbError('a UDP peer sends no FIN: on half-close is for streams');
  if (draft.forwarded && draft.transport === 'udp') throw p.verbError('a UDP relay forwards every datagram: rules in a relay are for streams');
  if (draft.forwarded && group.on.event !== 'message') throw p.verbError(`a relay forwards what no rule takes, and passes connects and FINs on: on ${group.on.event} has no place after forward`);
  draft.responder = true;
  placeGroup(p, group);
}

/** `else`: the steps after it run when the `if`'s test fails. */
export function parseElse(p: LineParser, draft: BlockDraft): void {
  p.c.expectEnd();
  const open = draft.groups[draft.groups.length - 1];
  if (!open || open.test === undefined) throw p.verbError('else without if');
  if (open.inElse) throw p.verbError('a second else in one if');
  open.inElse = true;
}

/** `end`: closes the innermost `repeat`, `if` or `on`. */
export function parseEnd(p: LineParser, draft: BlockDraft): void {
  if (draft.groups.length === 0) throw p.verbError('end without repeat, if or on');
  // Closed before the rest of the line is checked: a word after end is its one error.
  closeGroup(p, draft);
  p.c.expectEnd();
}

/** Closes the innermost open group, adding its step to the group or block around it. */
export function closeGroup(p: LineParser, draft: BlockDraft): void {
  const g = draft.groups.pop();
  if (!g) return;
  const { range, source } = g;
  if (g.on !== undefined) {
    draft.addStep(g.on.test ? { kind: 'on', event: g.on.event, test: g.on.test, steps: g.steps, range, source } : { kind: 'on', event: g.on.event, steps: g.steps, range, source });
    return;
  }
  if (g.test !== undefined) {
    draft.addStep({ kind: 'if', test: g.test, steps: g.steps, otherwise: g.elseSteps ?? [], range, source });
    return;
  }
  if (g.steps.length === 0 && g.lineOk) p.diagnostics.push({ severity: 'warning', message: 'this repeat has no steps', range });
  const step: { kind: 'repeat'; count: Amount; everyMs?: Amount; rate?: Rate; steps: Step[]; until?: unknown; range: unknown; source: string } = { kind: 'repeat', count: g.count, steps: g.steps, range, source };
  if (g.everyMs !== undefined) step.everyMs = g.everyMs;
  if (g.rate !== undefined) step.rate = g.rate;
  if (g.until !== undefined) step.until = g.until;
  draft.addStep(step as Step);
}

/** `set NAME = VALUE`: NAME becomes a variable for later steps (§8.12). */
export function parseSet(p: LineParser): Step {
  const { c } = p;
  const t = c.word('a variable name, e.g. set key = user-{{$randomInt 1 1000000}}');
  if (t.text.includes('=')) throw new LineError('set NAME = VALUE: write spaces around the "="', t.start, t.end);
  if (!NAME.test(t.text)) throw new LineError(`"${t.text}" is not a variable name: letters, digits, _ and -, starting with a letter or _`, t.start, t.end);
  const eq = c.word(`= after set ${t.text}`);
  if (eq.text !== '=') throw new LineError(`set ${t.text} = VALUE: expected "=" (with spaces around it), not "${eq.text}"`, eq.start, eq.end);
  const v = c.rest();
  if (!v.text) throw new LineError(`set ${t.text} = needs a value`, eq.start, eq.end);
  const value = p.template(p.lineStart + v.start, p.lineStart + v.end);
  p.giveCapture(t.text);
  return { kind: 'set', name: t.text, value, range: p.statementRange(), source: p.statementSource() };
}

/** A byte count of a fault: a number ≥ 1, or a `{{…}}` read when the step runs. */
function faultBytes(p: LineParser, what: string): Amount {
  const { c } = p;
  const n = c.word(`a byte count, e.g. fault ${what} 4`);
  if (c.hasReference()) return p.wordTemplate();
  if (!/^\d+$/.test(n.text) || Number(n.text) < 1) throw p.literalRequired('a byte count', `fault ${what} 4`) ?? new LineError(`fault ${what} takes a byte count ≥ 1`, n.start, n.end);
  return Number(n.text);
}

/** `fault delay D|drip N every D|partial N|close-after N|reset-after N|drop|none` (§8.14). */
export function parseFault(p: LineParser, draft: BlockDraft): Step {
  const { c } = p;
  c.next('delay, drip, partial, close-after, reset-after, drop or none');
  const kind = c.slice();
  let fault: Fault;
  if (kind === 'delay') fault = { kind, ms: p.durationOrVariable() };
  else if (kind === 'drip') {
    const bytes = faultBytes(p, 'drip');
    const every = c.word('every D, e.g. fault drip 1 every 50ms');
    if (every.text !== 'every') throw p.keywordError(KEYWORDS.faultEvery, `fault drip N takes every D next, not "${every.text}"`, `unexpected "${every.text}"`);
    fault = { kind, bytes, everyMs: p.durationOrVariable() };
  } else if (kind === 'partial' || kind === 'close-after' || kind === 'reset-after') fault = { kind, bytes: faultBytes(p, kind) };
  else if (kind === 'drop' || kind === 'none') fault = { kind };
  else throw p.keywordError(KEYWORDS.fault, `fault takes delay, drip, partial, close-after, reset-after, drop or none; not "${kind}"`, `"${kind}" is not a fault`);
  c.expectEnd();
  if (draft.transport === 'udp' && fault.kind !== 'delay' && fault.kind !== 'drop' && fault.kind !== 'none') throw p.verbError(`fault ${fault.kind} cuts a stream; a datagram goes whole or not at all (UDP takes delay, drop and none)`);
  return { kind: 'fault', fault, range: p.statementRange(), source: p.statementSource() };
}

/** `wait D`. */
export function parseWait(p: LineParser): Step {
  const ms = p.durationOrVariable();
  p.c.expectEnd();
  return { kind: 'wait', ms, range: p.statementRange(), source: p.statementSource() };
}

/**
 * `await NAME accepted|datagram|data [N] [timeout D]`: NAME is a listener (`listen … as NAME`)
 * or a kept connection (`connect … as NAME keep`) of an earlier block, and its event is the one
 * that kind of name has: a stream listener accepts, a UDP listener receives datagrams, a
 * connection receives data.
 */
export function parseAwait(p: LineParser): Step {
  const { c } = p;
  const n = c.word('the name of a listener (listen … as NAME) or of a kept connection (connect … as NAME keep)');
  const known = p.nameBefore(n.text);
  if (!known) throw new LineError(`no listener or kept connection named "${n.text}": an earlier block must say listen … as ${n.text}, or connect … as ${n.text} keep`, n.start, n.end);
  if (known.kind === 'connection' && !known.keep) throw new LineError(`connection "${n.text}" closes at the end of its block: add keep to its connect line`, n.start, n.end);
  const event = known.kind === 'connection' ? 'data' : known.transport === 'udp' ? 'datagram' : 'accepted';
  const e = c.word(`what to await: await ${n.text} ${event}`);
  if (!c.is('accepted') && !c.is('datagram') && !c.is('data')) throw p.keywordError(KEYWORDS.awaitEvent, `unexpected "${e.text}" (await ${n.text} ${event})`, `unexpected "${e.text}"`);
  if (e.text !== event) {
    const what = known.kind === 'connection' ? 'a kept connection: it receives data' : known.transport === 'udp' ? 'a UDP listener: it receives datagrams' : 'a stream listener: it accepts connections';
    throw new LineError(`"${n.text}" is ${what}; write await ${n.text} ${event}`, e.start, e.end);
  }
  let count: Amount | undefined;
  const save = c.pos;
  if (!c.atEnd()) {
    c.next('');
    if (c.is('timeout')) c.pos = save;
    else if (findPair(c.codes, c.start, c.stop, 0x7b) >= 0) count = p.wordTemplate();
    else {
      const t = c.token();
      const v = /^\d+$/.test(t.text) ? Number(t.text) : NaN;
      if (!(v >= 1 && v <= MAX_AWAIT_COUNT)) throw new LineError(`await ${n.text} ${event} takes a count from 1 to ${MAX_AWAIT_COUNT} or timeout DURATION, not "${t.text}"`, t.start, t.end);
      count = v;
    }
  }
  const timeoutMs = p.optionalTimeout(KEYWORDS.awaitTimeout);
  const step: { kind: 'await'; name: string; event: typeof event; count?: Amount; timeoutMs?: Amount; range?: unknown; source?: string } = { kind: 'await', name: n.text, event };
  if (count !== undefined) step.count = count;
  if (timeoutMs !== undefined) step.timeoutMs = timeoutMs;
  step.range = p.statementRange();
  step.source = p.statementSource();
  return step as Step;
}
