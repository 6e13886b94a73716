/**
 * The block being parsed: what its lines have said so far, which the statement families read
 * (its header and transport, its open `repeat`/`if` groups, whether a receive came before an
 * `expect`) and add to (steps, settings).
 */
import type { Amount, BlockTransport, Header, ListenerPolicy, LoadPlan, Rate, Matcher, Range, Rewrite, Step, TlsSettings, UdpSettings } from '../ast';

/** What a block without policy, TLS or UDP lines holds: shared, and frozen so no block can change it for another. */
export const NO_POLICY: ListenerPolicy = Object.freeze({ allow: Object.freeze([]), deny: Object.freeze([]) });
export const NO_TLS: TlsSettings = Object.freeze({});
export const NO_UDP: UdpSettings = Object.freeze({ groups: Object.freeze([]) });

type MutablePolicy = { maxConnections?: number; allow: string[]; deny: string[]; idleTimeoutMs?: number; removeStale?: boolean; messages?: Extract<Step, { kind: 'recv' }>; rewrites?: Rewrite[] };
type MutableTls = { -readonly [K in keyof TlsSettings]: TlsSettings[K] };
type MutableUdp = { broadcast?: boolean; groups: { group: string; iface?: string }[] };

/** An open `repeat` or `if`: its steps collect here until its `end`. */
export interface OpenGroup {
  /** Its line's range and source, once the line has parsed (a placeholder before). */
  range: Range;
  source: string;
  /** False while (or after) its line had a mistake: that error is its only diagnostic. */
  lineOk: boolean;
  steps: Step[];
  /** `repeat`: its count, interval and early-ending test. */
  count: Amount;
  everyMs?: Amount;
  rate?: Rate;
  until?: Matcher;
  /** `on`: the responder rule's event and, for a message, its test. */
  on?: { event: 'connect' | 'message' | 'half-close' | 'other'; test?: Matcher };
  /** `if`: its test, and its `else` steps (steps go there after its `else`). */
  test?: Matcher;
  elseSteps?: Step[];
  inElse?: boolean;
}

/**
 * The block being read, from its `###` line (or the start of the file) to the next. One serves a
 * whole parse ({@link reset} starts each block): a draft apiece was most of the garbage a parse
 * made, and the collector's work grows with it.
 */
export class BlockDraft {
  /** The text before the first ### line: a block only when it has statements. */
  preamble = true;
  /** The title is `text[titleFrom, titleTo)`. */
  titleFrom = 0;
  titleTo = 0;
  /** The block's first line (its `###` line, or line 0 for the text before the first `###`). */
  startLine = 0;
  /** The header, once its line has parsed. */
  header: Header | undefined;
  /** The transport of a header that parsed; `undefined` when there is none. */
  transport: BlockTransport | undefined;
  /** The header statement is `text[headerFrom, headerTo)`. */
  headerFrom = 0;
  headerTo = 0;
  /** The verb of the block's connect, listen or use line, even one with errors: its steps are not orphans. */
  headerVerb: 'connect' | 'listen' | 'use' | undefined;
  /** A `connect udp` to 255.255.255.255 or `<broadcast>`: the block needs a `broadcast` line. */
  broadcastTarget = false;
  /** The block's steps so far, `steps[0, stepCount)`: {@link takeSteps} copies them out. */
  private readonly steps: Step[] = [];
  private stepCount = 0;
  eol: 'crlf' | 'lf' = 'crlf';
  hasStatements = false;
  /** A receive or lookup step is in the block (in a repeat too): an `expect` has something to check. */
  produces = false;
  /** A TLS or UDP setting line, or a near miss of a setting, had a mistake: the block's checks of its settings would follow from it. */
  settingsBroken = false;
  /** The block has a `starttls` step: its TLS lines are for it. */
  starttls = false;
  /** The block has a `forward` step: no step may follow it. */
  forwarded = false;
  /** The block has a responder rule (`on … end`): only more rules and settings may follow it. */
  responder = false;
  /** The first TLS line of a `connect tcp` block, which needs a `starttls` step to mean anything. */
  tlsLineOfTcp: Range | undefined;
  /** Made by the block's first setting line of each kind. */
  policy: MutablePolicy | undefined;
  tls: MutableTls | undefined;
  udp: MutableUdp | undefined;
  /** The block's `load` line. */
  load: LoadPlan | undefined;
  /** The first `expect` of a load statistic (`expect p99 …`, `expect errors …`): it needs a load line. */
  loadExpect: Range | undefined;
  /** Open `repeat` and `if` groups, innermost last. */
  readonly groups: OpenGroup[] = [];

  /** Starts a fresh block, titled `text[titleFrom, titleTo)`, on line `startLine`. */
  reset(preamble: boolean, titleFrom: number, titleTo: number, startLine: number): void {
    this.preamble = preamble;
    this.titleFrom = titleFrom;
    this.titleTo = titleTo;
    this.startLine = startLine;
    this.header = undefined;
    this.transport = undefined;
    this.headerFrom = 0;
    this.headerTo = 0;
    this.headerVerb = undefined;
    this.broadcastTarget = false;
    this.stepCount = 0;
    this.eol = 'crlf';
    this.hasStatements = false;
    this.produces = false;
    this.settingsBroken = false;
    this.starttls = false;
    this.forwarded = false;
    this.responder = false;
    this.tlsLineOfTcp = undefined;
    this.policy = undefined;
    this.tls = undefined;
    this.udp = undefined;
    this.load = undefined;
    this.loadExpect = undefined;
    if (this.groups.length > 0) this.groups.length = 0;
  }

  /** Adds a step to the innermost open group, or to the block. */
  addStep(step: Step): void {
    const open = this.groups.length;
    if (open > 0) {
      const g = this.groups[open - 1];
      (g.inElse ? (g.elseSteps ??= []) : g.steps).push(step);
    } else {
      this.steps[this.stepCount++] = step;
    }
  }

  /** True once the block has a step or an open group: a header may no longer come. */
  hasSteps(): boolean {
    return this.stepCount > 0 || this.groups.length > 0;
  }

  /** The block's steps, as an array of their own, of their number's length. */
  takeSteps(): Step[] {
    const { steps } = this;
    switch (this.stepCount) {
      // A literal for the usual few steps: faster than slice.
      case 0:
        return [];
      case 1:
        return [steps[0]];
      case 2:
        return [steps[0], steps[1]];
      case 3:
        return [steps[0], steps[1], steps[2]];
      case 4:
        return [steps[0], steps[1], steps[2], steps[3]];
      default:
        return steps.slice(0, this.stepCount);
    }
  }
}
