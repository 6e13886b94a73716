/**
 * The syntax tree of a `.sock` file, as the parser produces it. Positions are 0-based lines and
 * columns (UTF-16 code units, as editors count); messages shown to people add 1 to each.
 */

import type { RecordType } from '../net/dnsQuery';
import type { ChecksumType } from '../net/checksums';
import type { IntType } from '../net/fields';

/** A place in the file. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A span of the file, end exclusive. */
export interface Range {
  readonly start: Position;
  readonly end: Position;
}

/** A parse error or warning with its exact range. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly range: Range;
  /**
   * For a near miss of a word the parser knows ("did you mean"): the word that replaces the text
   * of `range`, for a quick fix.
   */
  readonly replacement?: string;
}

/** Text with `{{name}}` references, expanded when the step runs. */
export interface Template {
  readonly parts: readonly TemplatePart[];
  readonly range: Range;
}

/**
 * A count or a duration as written: a number (a duration in ms), or a template such as `{{len}}`
 * or `{{t}}ms` that the step reads when it runs (§9, "Variables in counts and durations").
 */
export type Amount = number | Template;

/** The built-in variables: `{{$timestamp}}`, `{{$randomInt A B}}`, `{{$env NAME}}`. */
export type Builtin =
  | { readonly name: 'timestamp' }
  | { readonly name: 'randomInt'; readonly min: number; readonly max: number }
  | { readonly name: 'env'; readonly variable: string };

/**
 * A literal run of a template, a variable reference (`{{name}}`, `{{listener.port}}`), or a
 * built-in (`{{$timestamp}}`).
 */
export type TemplatePart =
  | { readonly text: string }
  | { readonly variable: string; readonly range: Range }
  | { readonly builtin: Builtin; readonly range: Range };

/**
 * One part of a field payload (spec §4.6): a payload written inline (text, hex, base64, file), an
 * integer field of an {@link IntType} (`src/net/fields.ts`), a length field whose value is the byte
 * length of the next group at its level, or a group `( … )` of parts.
 */
export type FieldPart =
  | { readonly kind: 'payload'; readonly payload: Payload }
  /** `value`: the literal as written (`60`, `0x10`, `-1`), or a template read when the step runs. */
  | { readonly kind: 'int'; readonly type: IntType; readonly value: string | Template; readonly range: Range }
  | { readonly kind: 'length'; readonly type: IntType; readonly range: Range }
  /** A checksum of the group right before it at its level (`( … ) crc16-modbus`). */
  | { readonly kind: 'checksum'; readonly type: ChecksumType; readonly range: Range }
  | { readonly kind: 'group'; readonly parts: readonly FieldPart[]; readonly range: Range };

/**
 * A payload as written: `"text with escapes"`, `hex 47 45 54`, `base64 R0VU`, `file PATH`, a
 * heredoc whose lines each end with the block's line ending, or a field payload: several parts in
 * one line, with integer and length fields and groups (`u8 0x10 varint len ( u16 4 "MQTT" )`).
 */
export type Payload =
  | { readonly kind: 'fields'; readonly parts: readonly FieldPart[]; readonly range: Range }
  | { readonly kind: 'text'; readonly template: Template }
  | { readonly kind: 'hex'; readonly template: Template }
  | { readonly kind: 'base64'; readonly template: Template }
  /** The bytes of a file, the path relative to the `.sock` file. */
  | { readonly kind: 'file'; readonly template: Template }
  | { readonly kind: 'heredoc'; readonly lines: readonly Template[]; readonly range: Range };

/**
 * A fault that `fault` injects into later sends (§8.14): a delay before each; a drip of `bytes`
 * every `everyMs`; only the first `bytes` of each; a close (FIN) or reset (RST) once `bytes` more
 * are out; nothing sent; or none (the faults end).
 */
export type Fault =
  | { readonly kind: 'delay'; readonly ms: Amount }
  | { readonly kind: 'drip'; readonly bytes: Amount; readonly everyMs: Amount }
  | { readonly kind: 'partial' | 'close-after' | 'reset-after'; readonly bytes: Amount }
  | { readonly kind: 'drop' | 'none' };

/** What an `expect` checks. */
export type Matcher =
  /** The payload's bytes somewhere in the value, or at byte `at` (from the end when negative); `??` in hex matches any byte. */
  | { readonly kind: 'contains'; readonly payload: Payload; readonly at?: number }
  /** The value is the payload's bytes and nothing else (`expect exactly …`). */
  | { readonly kind: 'exactly'; readonly payload: Payload }
  | { readonly kind: 'regex'; readonly source: string; readonly flags: string }
  | { readonly kind: 'error'; readonly code?: string; readonly pattern?: Matcher }
  /** `expect time < 20ms`: the duration of the last step that connected, sent, received, waited or looked up. */
  | { readonly kind: 'time'; readonly op: Comparison; readonly ms: Amount }
  /** `expect [METRIC] STAT OP DURATION` in a load block (§8.15): a statistic of every session's timings, checked when the load ends. */
  | { readonly kind: 'latency'; readonly metric: LoadMetric; readonly stat: LoadStat; readonly op: Comparison; readonly ms: Amount }
  /** `expect errors [OP] N` in a load block: the sessions that failed or met an error, checked when the load ends. */
  | { readonly kind: 'errors'; readonly op: Comparison; readonly count: number }
  /** `expect bytes 5`, `expect bytes >= 5`: the byte count of the last value (`=` when no operator is written). */
  | { readonly kind: 'bytes'; readonly op: Comparison; readonly count: Amount }
  /** `expect closed`: the peer closed its side of the block's connection. */
  | { readonly kind: 'closed' }
  /** `expect tls verified`, `expect tls protocol TLSv1.3` …: a fact of the block's TLS session. */
  | { readonly kind: 'tls'; readonly fact: TlsFact };

/** How `expect time` and `expect bytes` compare the fact (left) with the amount written (right). */
export type Comparison = '<' | '<=' | '>' | '>=' | '=';

/**
 * A fact of a TLS session that `expect tls` checks: verified; the protocol, cipher, ALPN
 * protocol (`none` when none was agreed) or SHA-256 certificate fingerprint, each equal to a
 * word; the peer certificate's subject matching a /regex/.
 */
export type TlsFact =
  | { readonly name: 'verified' }
  | { readonly name: 'protocol' | 'cipher' | 'alpn' | 'fingerprint'; readonly value: Template }
  | { readonly name: 'subject'; readonly source: string; readonly flags: string };

/** The transports a block can connect or listen with. */
export type BlockTransport = 'tcp' | 'udp' | 'unix' | 'tls';

/** The first statement of a client or listener block. */
export interface Header {
  /** `connect`, `listen`, or `use NAME` (a kept connection of an earlier block). */
  readonly kind: 'connect' | 'listen' | 'use';
  /** For `use`, the transport of the named connection. */
  readonly transport: BlockTransport;
  /** `HOST:PORT` (for `listen`, also `PORT` alone) or a Unix socket path; for `use`, the name. */
  readonly target: Template;
  /**
   * `as NAME`: a listener's name, for `{{NAME}}` / `{{NAME.port}}` in later blocks; a
   * connection's name, for `use NAME`.
   */
  readonly name?: string;
  /** `keep`: the connection stays open after its block, for `use NAME` blocks. */
  readonly keep?: boolean;
  readonly timeoutMs?: Amount;
  readonly range: Range;
  /** The statement's source text, for transcripts. */
  readonly source: string;
}

/** What an `await` waits for: a listener's accepted connections or datagrams, a kept connection's bytes. */
export type AwaitEvent = 'accepted' | 'datagram' | 'data';

/** What a step does, without where it is written. */
export type StepBody =
  | { readonly kind: 'send'; readonly payload: Payload }
  | {
      readonly kind: 'recv';
      /** chunk: `recv`; bytes: `recv N`; exactly: `recv exactly N`; line: up to `\n`; until; all; frame: `recv frame TYPE …`. */
      readonly mode: 'chunk' | 'bytes' | 'exactly' | 'line' | 'until' | 'all' | 'frame';
      readonly max?: Amount;
      readonly until?: Payload;
      /**
       * `recv frame TYPE [after N] [inclusive]` (§8.1): N bytes of header, a length of TYPE (a
       * fixed width or varint), then that many bytes; `inclusive`: the length counts the header
       * and itself too. The step's value is the whole frame.
       */
      readonly frame?: { readonly type: IntType; readonly after: number; readonly inclusive: boolean };
      /**
       * `recv frame from START to END` (§8.1): bytes before START are skipped; the frame is START,
       * what follows, and END (STX … ETX).
       */
      readonly delimited?: { readonly start: Payload; readonly end: Payload };
      readonly timeoutMs?: Amount;
    }
  | { readonly kind: 'shutdown' }
  /** Aborts the connection: a RST on TCP (§8, `reset`). */
  | { readonly kind: 'reset' }
  /** A fault in every later send of the connection (§8.14): one kind, with its amounts. */
  | { readonly kind: 'fault'; readonly fault: Fault }
  /** `starttls [timeout D]`: a TLS handshake on the block's open TCP connection (§6.1.1). */
  | { readonly kind: 'starttls'; readonly timeoutMs?: Amount }
  /** `repeat N [every D]` … `end`: the inner steps N times, starting one round every D. */
  /** With `until`: stops after the first round whose last value passes the test, and fails when none of the N does. */
  | { readonly kind: 'repeat'; readonly count: Amount; readonly everyMs?: Amount; readonly rate?: Rate; readonly until?: Matcher; readonly steps: readonly Step[] }
  /** `if TEST` … [`else` …] `end`: `steps` when the last value passes the test (contains, or /regex/), else `otherwise`. */
  | { readonly kind: 'if'; readonly test: Matcher; readonly steps: readonly Step[]; readonly otherwise: readonly Step[] }
  /**
   * A responder rule (§7.9), `on EVENT` … `end`: `message` runs `steps` for a message that passes
   * `test` (contains, `at`, `exactly`, or a regex); `other` for a message no rule took; `connect`
   * when a peer connects; `half-close` when it sends FIN.
   */
  | { readonly kind: 'on'; readonly event: 'connect' | 'message' | 'half-close' | 'other'; readonly test?: Matcher; readonly steps: readonly Step[] }
  | { readonly kind: 'wait'; readonly ms: Amount }
  /**
   * `await NAME accepted|datagram|data [N] [timeout D]`: waits until the listener NAME has
   * accepted N connections or received N datagrams in all, or the kept connection NAME has
   * received N bytes in all (N defaults to 1; spec §8, `await`).
   */
  | { readonly kind: 'await'; readonly name: string; readonly event: AwaitEvent; readonly count?: Amount; readonly timeoutMs?: Amount }
  | { readonly kind: 'expect'; readonly matcher: Matcher }
  /**
   * `capture NAME` (the whole last value), `capture NAME /REGEX/` (its first group, or the whole
   * match), `capture NAME line N` (its Nth line, without the line ending), or `capture /REGEX/`
   * (each named group, under its own name): variables for every later step of the run.
   */
  | {
      readonly kind: 'capture';
      readonly name?: string;
      readonly pattern?: { readonly source: string; readonly flags: string };
      readonly line?: number;
      /** `capture NAME TYPE [at N]`: an integer field, kept as its decimal digits (§8.11). */
      readonly field?: IntType;
      /** `capture NAME bytes|hex N [at N]`: N bytes, kept as they are, or as hex digits (`hex`). */
      readonly count?: number;
      readonly hex?: boolean;
      /** Where the field or bytes start: an offset from the start, or from the end when negative. */
      readonly at?: number;
    }
  /** `set NAME = VALUE`: VALUE expanded (and its integer arithmetic computed) once, where it stands. */
  | { readonly kind: 'set'; readonly name: string; readonly value: Template }
  | { readonly kind: 'close' }
  | { readonly kind: 'echo'; readonly timeoutMs?: Amount }
  /** A relay to an upstream (§7.8): `timeoutMs` bounds its connect; `insecure` skips verifying a TLS upstream. */
  | { readonly kind: 'forward'; readonly transport: 'tcp' | 'tls' | 'unix' | 'udp'; readonly target: Template; readonly insecure?: boolean; readonly timeoutMs?: Amount }
  | { readonly kind: 'hostname' }
  | { readonly kind: 'lookup'; readonly target: Template }
  | { readonly kind: 'service'; readonly target: Template; readonly proto: 'tcp' | 'udp' }
  | { readonly kind: 'aton'; readonly target: Template }
  | { readonly kind: 'ntoa'; readonly target: Template }
  | { readonly kind: 'pton'; readonly target: Template }
  /** `resolve NAME TYPE [@SERVER]`: a DNS query, like `dig`. */
  | { readonly kind: 'resolve'; readonly target: Template; readonly recordType: RecordType; readonly server?: Template }
  | { readonly kind: 'ntop'; readonly target: Template };

/** One step of a block, with its range and source text. */
export type Step = StepBody & { readonly range: Range; readonly source: string };

/**
 * A rate written `rate R/s` (rounds or sessions a second) or, for a repeat, `rate 2MB/s` (bytes its
 * sends send a second: a traffic generator's bandwidth, §8.10). `text` is as written.
 */
export interface Rate {
  readonly per: 'round' | 'byte';
  /** Rounds (or sessions) or bytes per second. */
  readonly perSecond: number;
  readonly text: string;
}

/** What a load times (§8.15): the connect step, the TLS handshake, the first byte received after connecting, a send to the end of the recv after it, a whole session. */
export type LoadMetric = 'connect' | 'tls' | 'first-byte' | 'round-trip' | 'session';
/** A statistic of a load's timings. */
export type LoadStat = 'min' | 'median' | 'p90' | 'p99' | 'max' | 'mean';

/**
 * A client block's `load N clients [ramp D] [rate R/s] [for D]` line (§8.15): the block runs as
 * N virtual clients, each with its own connection and variables.
 */
export interface LoadPlan {
  /** Virtual clients at once (closed loop), or at most at once (with `rate`). */
  readonly clients: number;
  /** The clients start spread evenly over this long, ms; 0 when absent. */
  readonly rampMs: number;
  /** Sessions started per second, whatever their replies (open loop); absent: each client starts its next session when its last ends. */
  readonly rate?: number;
  /** How long sessions keep starting, ms; absent: each client runs one session. */
  readonly forMs?: number;
  readonly range: Range;
  readonly source: string;
}

/** A block: the text from one `###` line to the next. */
export interface Block {
  /** 1-based number in the file, as `--block N` selects it. */
  readonly index: number;
  /** The rest of the `###` line, trimmed; may be empty. */
  readonly title: string;
  /** From the `###` line (or the file's start) to the last line before the next block. */
  readonly range: Range;
  readonly header?: Header;
  readonly steps: readonly Step[];
  /** The line ending of heredoc lines: `eol crlf` (default) or `eol lf`. */
  readonly eol: 'crlf' | 'lf';
  /** A listener block's policy lines. */
  readonly policy: ListenerPolicy;
  /** A TLS block's settings lines. */
  readonly tls: TlsSettings;
  /** A UDP block's `broadcast` and `join GROUP [IFACE]` lines. */
  readonly udp: UdpSettings;
  /** A client block's `load` line. */
  readonly load?: LoadPlan;
}

/** The UDP lines of a block: `broadcast` (SO_BROADCAST) and, for listeners, `join GROUP [IFACE]`. */
export interface UdpSettings {
  readonly broadcast?: boolean;
  readonly groups: readonly { readonly group: string; readonly iface?: string }[];
}

/**
 * The TLS lines of a `connect tls` block (`insecure`, `ca FILE`, `servername NAME`, `alpn …`) or
 * a `listen tls` block (`cert FILE`, `key FILE`, `self-signed`, `alpn …`). Paths are relative to
 * the `.sock` file.
 */
export interface TlsSettings {
  readonly insecure?: boolean;
  readonly ca?: Template;
  readonly servername?: string;
  readonly alpn?: readonly string[];
  readonly cert?: Template;
  readonly key?: Template;
  readonly selfSigned?: boolean;
}

/** The policy lines of a listener block: `max-conns`, `allow`, `deny`, `idle-timeout`, `remove-stale`. */
export interface ListenerPolicy {
  readonly maxConnections?: number;
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  readonly idleTimeoutMs?: number;
  readonly removeStale?: boolean;
  /** How a responder cuts a peer's bytes into messages (`messages …`, §7.9): the `recv` that reads one; absent: each chunk as it comes. */
  readonly messages?: Extract<Step, { kind: 'recv' }>;
  /** A relay's rewrites (`rewrite up|down MATCH with PAYLOAD`, §7.8), in order: `up` the client's bytes, `down` the upstream's. */
  readonly rewrites?: readonly Rewrite[];
}

/** One rewrite of a relay (§7.8): every match of a regex or every run of a payload's bytes, in each chunk going one way, replaced. */
export interface Rewrite {
  readonly direction: 'up' | 'down';
  readonly match: { readonly kind: 'regex'; readonly source: string; readonly flags: string } | { readonly kind: 'payload'; readonly payload: Payload };
  readonly replacement: Payload;
  readonly range: Range;
  readonly source: string;
}

/** A file variable: `@name = value`. */
export interface Variable {
  readonly name: string;
  readonly value: Template;
  readonly range: Range;
}

/** A parsed `.sock` file: blocks, variables and every diagnostic found. */
export interface SockFile {
  readonly blocks: readonly Block[];
  readonly variables: ReadonlyMap<string, Variable>;
  readonly diagnostics: readonly Diagnostic[];
  /** Names that `capture` steps give (§8.11), for hover and the reference check; absent when none. */
  readonly captured?: ReadonlySet<string>;
}
