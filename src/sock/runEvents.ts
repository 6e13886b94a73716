/**
 * What a `.sock` run reports, event by event: the CLI prints these as a transcript or as JSON
 * lines, and the extension will show them inline and in its views.
 */
import type { TrafficEvent } from '../net/traffic';

/** Where a step is written: 1-based block number, 0-based line and column. */
export interface StepLocation {
  readonly block: number;
  readonly line: number;
  readonly column: number;
}

/** A block begins. */
export interface BlockStartEvent {
  readonly type: 'block';
  readonly block: number;
  readonly title: string;
  readonly line: number;
}

/** Outcome of one step. */
export type StepStatus =
  | 'ok' // done (send, recv, lookup, close …)
  | 'pass' // an expect that held
  | 'fail' // an expect that did not hold
  | 'error'; // the step raised an error

/** A step finished. */
export interface StepEvent extends StepLocation {
  readonly type: 'step';
  /** The step as written, e.g. `recv 1024`. */
  readonly source: string;
  readonly verb: string;
  readonly status: StepStatus;
  /** A human-readable result: a lookup's answer, an expect's reason, an error's message. */
  readonly detail?: string;
  /** The bytes sent or received, for send and recv steps. */
  readonly payload?: Buffer;
  /** `out` for bytes sent, `in` for bytes received. */
  readonly direction?: 'in' | 'out';
  /** The error's code when `status` is `error`. */
  readonly code?: string;
  /** True when the error was caught by an `expect error` that follows. */
  readonly expected?: boolean;
  /** Duration of the step in ms. */
  readonly ms: number;
  /** For a listener's steps: the connection or peer the steps ran for, e.g. `c4`. */
  readonly session?: string;
  /** For a listener's steps: the listener's name (or `block N`). */
  readonly listener?: string;
}

/** A listener block started its listener. */
export interface ListeningRunEvent {
  readonly type: 'listening';
  readonly block: number;
  readonly name?: string;
  readonly transport: 'tcp' | 'udp' | 'unix' | 'tls';
  /** The bound address: `127.0.0.1:40123` or a socket path. */
  readonly local: string;
  readonly id: string;
}

/** A block finished (for a listener block: its listener is up). */
export interface BlockEndEvent {
  readonly type: 'block-end';
  readonly block: number;
  readonly status: 'pass' | 'fail' | 'error' | 'listening';
  readonly ms: number;
}

/** A traffic event of the run's sockets, as the socket core reported it. */
export interface TrafficRunEvent {
  readonly type: 'traffic';
  readonly event: TrafficEvent;
}

/** The run ended. */
export interface SummaryEvent {
  readonly type: 'summary';
  /** Expectations that held and that failed, listener sessions included. */
  readonly passed: number;
  readonly failed: number;
  /** Steps or blocks that ended in an error not caught by `expect error`. */
  readonly errors: number;
  readonly ms: number;
}

/** Anything a run reports, discriminated by `type`. */
export type RunEvent = BlockStartEvent | StepEvent | ListeningRunEvent | BlockEndEvent | TrafficRunEvent | SummaryEvent;
