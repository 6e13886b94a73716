/**
 * Renders run events for people (a transcript) and for programs (JSON lines). Pure: strings in
 * and out, so the CLI, the tests and the extension's log share it.
 */
import { byteCount, escapeBytes, hexDump, previewBytes, type PreviewEncoding } from '../net/payload';
import type { TrafficEvent } from '../net/traffic';
import { FULL_ROUNDS, type RunEvent, type StepEvent } from './runEvents';
import { loadTable } from './run/load';

export { FULL_ROUNDS };

/** How the transcript shows payloads. */
export interface TranscriptOptions {
  /** Show payloads as an `xxd`-style hex dump instead of escaped text. */
  readonly hex?: boolean;
  /** Longest payload preview in the escaped form, in bytes; default 200. */
  readonly previewBytes?: number;
  /** Show whole payloads in the escaped form, however long (`--full`). */
  readonly full?: boolean;
  /** Show every round of every `repeat` (`--verbose`), not only the first {@link FULL_ROUNDS}. */
  readonly verbose?: boolean;
}

/** The column a step's result starts at; a longer statement puts its result on a line of its own. */
export const RESULT_COLUMN = 45;

/**
 * Peers turned away that the transcript lists one by one, per listener and reason; a flood
 * (thousands of datagrams over `max-conns`) is then counted, and the count printed when the
 * listener closes.
 */
export const DROP_LINES_PER_LISTENER = 10;

const MARKS: Record<string, string> = { send: '→', recv: '←', connect: '⇄', use: '⇄', listen: '◉', repeat: '↻', load: '≋' };

function mark(e: StepEvent): string {
  if (e.status === 'pass') return '✓';
  if (e.status === 'fail') return '✗';
  if (e.status === 'error') return e.expected ? '·' : '!';
  return MARKS[e.verb] ?? '•';
}

function ms(value: number): string {
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => prefix + l)
    .join('\n');
}

/** Whose step it is: `[greeter c2] ` for a listener's session, `[c3] ` for a client's connection, else nothing. */
function side(e: StepEvent): string {
  if (e.listener) return `[${e.listener} ${e.session ?? ''}] `;
  return e.connection ? `[${e.connection}] ` : '';
}

/** True for a step of a repeat's round past the first {@link FULL_ROUNDS} that went as it should. */
function folded(e: StepEvent): boolean {
  return (e.status === 'ok' || e.status === 'pass' || e.expected === true) && e.round !== undefined && e.round.some((r) => r > FULL_ROUNDS);
}

/**
 * A repeat of more than {@link FULL_ROUNDS} rounds summed up: `1000 rounds, the first 3 shown;
 * 9000 bytes sent, 9000 bytes received; per round min 0.1 ms, median 0.2 ms, max 1.4 ms`.
 */
function repeatSummary(e: StepEvent, verbose: boolean): string | undefined {
  const r = e.repeat;
  if (!r || r.rounds <= FULL_ROUNDS) return undefined;
  const shown = verbose ? '' : `, the first ${FULL_ROUNDS} shown`;
  return `${e.detail ?? ''}${shown}; ${byteCount(r.bytesOut)} sent, ${byteCount(r.bytesIn)} received; per round min ${ms(r.minMs)}, median ${ms(r.medianMs)}, max ${ms(r.maxMs)}`;
}

function formatStep(e: StepEvent, opts: TranscriptOptions): string {
  const who = side(e);
  let detail = repeatSummary(e, opts.verbose === true) ?? e.detail ?? '';
  let dump = '';
  if (e.payload && e.payload.length > 0) {
    if (opts.hex) dump = '\n' + indent(hexDump(e.payload), '      ');
    else detail = `${byteCount(e.payload.length)}  "${escapeBytes(e.payload, opts.full ? e.payload.length : (opts.previewBytes ?? 200))}"`;
  }
  if (e.status === 'error' && e.expected) detail = `${detail}  (expected)`;
  const table = e.load ? loadTable(e.load) : [];
  if (table.length > 0) dump = '\n' + table.map((l) => `      ${l}`).join('\n');
  // A failure in a round whose steps are not shown says which round it was.
  if (!opts.verbose && e.round?.some((r) => r > FULL_ROUNDS)) detail = `round ${e.round.join('.')}: ${detail}`;
  const head = `  ${mark(e)} ${who}${e.source}`;
  // The result never runs into the statement: past the column, it starts a line of its own.
  const gap = head.length < RESULT_COLUMN ? ' '.repeat(RESULT_COLUMN - head.length) : '\n' + ' '.repeat(RESULT_COLUMN);
  return `${head}${gap}${detail}  (${ms(e.ms)})${dump}`;
}

/**
 * Turns run events into transcript lines. It remembers listener names from `listening` events,
 * so an accepted connection reads `greeter accepted c3 from 127.0.0.1:5000`.
 *
 * One event, one line: an error of a connection that steps use (a client's, or one a listener
 * accepted) is shown by the step that meets it (a refused UDP datagram by the `recv` after it,
 * a reset by the `recv all` it cuts short), with that step's mark. Such an error is held back,
 * and gets a line of its own only if no step has shown it when the connection closes.
 */
export class Transcript {
  private readonly names = new Map<string, string>();
  /** Connections that steps use, by id: their errors are the steps' to show. */
  private readonly stepSockets = new Set<string>();
  /** The listener of each accepted connection still open, for the line of a relay's upstream leg. */
  private readonly acceptedBy = new Map<string, string>();
  /** Errors of those connections that no step has shown yet: id → messages. */
  private readonly unshown = new Map<string, string[]>();
  /** Peers turned away, by listener id and reason: how many, and how many were listed. */
  private readonly drops = new Map<string, { count: number; listed: number }>();
  /**
   * While a block's repeat is past its shown rounds, the steps of listener sessions that went as
   * they should (a UDP echo answering each round's datagram) are not shown either: counted here
   * by listener, and the counts printed when the repeat ends.
   */
  private folding: Map<string, number> | undefined;

  /**
   * @param file the `.sock` file's name, shown with block line numbers
   */
  constructor(
    private readonly file: string,
    private readonly opts: TranscriptOptions = {},
  ) {}

  /** One event as transcript lines, or `undefined` for events the transcript leaves out. */
  format(e: RunEvent): string | undefined {
    switch (e.type) {
      case 'block':
        return `\n### ${e.block}${e.title ? ` · ${e.title}` : ''}   (${this.file}:${e.line + 1})`;
      case 'step':
        if (e.status === 'error' && e.detail !== undefined) this.markShown(e.detail);
        if (this.opts.verbose) return formatStep(e, this.opts);
        if (folded(e)) {
          if (!e.listener) this.folding ??= new Map();
          return undefined;
        }
        if (e.listener && this.folding && (e.status === 'ok' || e.status === 'pass' || e.expected)) {
          this.folding.set(e.listener, (this.folding.get(e.listener) ?? 0) + 1);
          return undefined;
        }
        // The block's outermost repeat ended: say what its rounds' listener sessions did unseen.
        if (!e.listener && e.repeat && !e.round) return [formatStep(e, this.opts), this.endFolding()].filter((l) => l !== undefined).join('\n');
        return formatStep(e, this.opts);
      case 'load-progress':
        // A live view's figures; the load's step sums the load up when it ends.
        return undefined;
      case 'fold':
        // A client's repeat went past its shown rounds: its listeners' sessions are summed up too.
        if (!e.listener) this.folding ??= new Map();
        return undefined;
      case 'traffic':
        return this.formatTraffic(e.event);
      case 'listening':
        this.names.set(e.id, e.name ?? `block ${e.block}`);
        return undefined;
      case 'block-end':
        return this.endFolding();
      case 'summary': {
        const parts = [`${e.passed} passed`, `${e.failed} failed`];
        if (e.errors > 0) parts.push(`${e.errors} error${e.errors === 1 ? '' : 's'}`);
        const held = [...this.unshown.keys()].map((id) => this.flushUnshown(id)).filter((l) => l !== undefined);
        const listeners = new Set([...this.drops.keys()].map((k) => k.slice(0, k.indexOf(' '))));
        for (const id of listeners) {
          const line = this.flushDrops(id);
          if (line !== undefined) held.push(line);
        }
        return [...held, `\n${parts.join(', ')} in ${ms(e.ms)}`].join('\n');
      }
    }
  }

  /** Ends the folding of listener sessions' steps (see {@link Transcript.folding}): a line per listener whose steps were not shown. */
  private endFolding(): string | undefined {
    const counts = this.folding;
    this.folding = undefined;
    if (!counts || counts.size === 0) return undefined;
    return [...counts].map(([listener, n]) => `  … ${listener}: ${n} more step${n === 1 ? '' : 's'} of its sessions during the repeat, not shown`).join('\n');
  }

  /** A step reported an error: the connection errors its message includes have been shown. */
  private markShown(detail: string): void {
    for (const [id, messages] of this.unshown) {
      const rest = messages.filter((m) => !detail.includes(m));
      if (rest.length === 0) this.unshown.delete(id);
      else this.unshown.set(id, rest);
    }
  }

  /** The error lines of connection `id` that no step showed, if any; forgets them. */
  private flushUnshown(id: string): string | undefined {
    const messages = this.unshown.get(id);
    this.unshown.delete(id);
    return messages?.map((m) => `  ! ${this.names.get(id) ?? id}: ${m}`).join('\n');
  }

  /** The count of peers listener `id` turned away beyond the listed ones, if any; forgets its counts. */
  private flushDrops(id: string): string | undefined {
    const lines: string[] = [];
    for (const reason of ['max-conns', 'denied'] as const) {
      const d = this.drops.get(`${id} ${reason}`);
      this.drops.delete(`${id} ${reason}`);
      if (d && d.count > d.listed) lines.push(`  ⊘ ${this.names.get(id) ?? id} turned away ${d.count - d.listed} more peers (${d.count} in all): ${dropReason(reason)}`);
    }
    return lines.length > 0 ? lines.join('\n') : undefined;
  }

  private formatTraffic(t: TrafficEvent): string | undefined {
    // Steps already show what was sent and received; the transcript adds what no step shows.
    if (t.type === 'open') this.stepSockets.add(t.id);
    if (t.type === 'open' && t.listener) {
      this.acceptedBy.set(t.id, t.listener);
      return `  ↳ ${this.names.get(t.listener) ?? t.listener} accepted ${t.id} from ${t.remote}`;
    }
    if (t.type === 'open' && t.via) {
      const listener = this.acceptedBy.get(t.via);
      return `  ↳ ${listener ? `${this.names.get(listener) ?? listener} ` : ''}${t.via} forwards to ${t.remote} through ${t.id}`;
    }
    if (t.type === 'error' && this.stepSockets.has(t.id)) {
      this.unshown.set(t.id, [...(this.unshown.get(t.id) ?? []), t.message]);
      return undefined;
    }
    if (t.type === 'close') this.acceptedBy.delete(t.id);
    if (t.type === 'close' && this.stepSockets.delete(t.id)) return this.flushUnshown(t.id);
    if (t.type === 'close') return this.flushDrops(t.id);
    if (t.type === 'error') return `  ! ${this.names.get(t.id) ?? t.id}: ${t.message}`;
    if (t.type === 'drop') {
      const key = `${t.id} ${t.reason}`;
      const d = this.drops.get(key) ?? { count: 0, listed: 0 };
      this.drops.set(key, d);
      d.count++;
      if (d.listed >= DROP_LINES_PER_LISTENER) return undefined;
      d.listed++;
      return `  ⊘ ${this.names.get(t.id) ?? t.id} turned away ${t.remote}: ${dropReason(t.reason)}${d.listed === DROP_LINES_PER_LISTENER ? ` (further ones are counted, and the count shown when ${this.names.get(t.id) ?? t.id} closes)` : ''}`;
    }
    return undefined;
  }
}

function dropReason(reason: 'max-conns' | 'denied'): string {
  return reason === 'denied' ? 'not allowed' : 'over max-conns';
}

function payloadJson(p: Buffer): { bytes: number; text: string; hex: string } {
  return { bytes: p.length, text: escapeBytes(p), hex: p.toString('hex') };
}

/**
 * The run as JSON lines (`--json`): every event, but, unless `verbose`, the `traffic` data events
 * of a client block's repeat past its reported rounds (between its `fold` event and the repeat's
 * own step, or the block's end), as its steps are left out: a long repeat prints a few lines, not
 * one per datagram. `skipped` counts the data events left out.
 */
export class JsonLines {
  /** The client blocks whose repeat is folded now. */
  private readonly folded = new Set<number>();
  skipped = 0;

  constructor(private readonly verbose = false) {}

  format(e: RunEvent): string | undefined {
    if (!this.verbose) {
      if (e.type === 'fold' && !e.listener) this.folded.add(e.block);
      else if ((e.type === 'step' && e.repeat && !e.listener && e.round === undefined) || e.type === 'block-end') this.folded.delete(e.block);
      else if (e.type === 'traffic' && e.event.type === 'data' && this.folded.size > 0) {
        this.skipped++;
        return undefined;
      }
    }
    return eventToJson(e);
  }
}

/**
 * One event as a JSON object (one line of `--json`): payload buffers become
 * `{ bytes, text, hex }`, with `text` escaped as in `.sock` payloads.
 */
export function eventToJson(e: RunEvent): string {
  if (e.type === 'traffic') {
    const t = e.event;
    const flat = t.type === 'data' ? { ...t, payload: payloadJson(t.payload) } : t;
    return JSON.stringify({ type: 'traffic', event: flat });
  }
  if (e.type === 'step' && e.payload) return JSON.stringify({ ...e, payload: payloadJson(e.payload) });
  return JSON.stringify(e);
}

/** Formats a parse diagnostic as `file:line:column: severity: message` (1-based, as compilers do). */
export function formatDiagnostic(file: string, d: { severity: string; message: string; range: { start: { line: number; column: number } } }): string {
  return `${file}:${d.range.start.line + 1}:${d.range.start.column + 1}: ${d.severity}: ${d.message}`;
}

/** One traffic event as a log line: `[c3] ← 24 bytes "Thank you…"`. Pure, for tests too. */
export function formatTrafficLine(e: TrafficEvent, maxPreview: number, encoding: PreviewEncoding = 'escaped'): string {
  switch (e.type) {
    case 'listening':
      return `[${e.id}] listening on ${e.transport} ${e.local}`;
    case 'open':
      return e.listener ? `[${e.id}] accepted by ${e.listener} from ${e.remote}` : `[${e.id}] connected ${e.transport} ${e.local} → ${e.remote}`;
    case 'data':
      return `[${e.id}] ${e.direction === 'in' ? '←' : '→'} ${byteCount(e.payload.length)}${e.peer ? ` ${e.direction === 'in' ? 'from' : 'to'} ${e.peer}` : ''}  "${previewBytes(e.payload, encoding, maxPreview)}"`;
    case 'half-close':
      return `[${e.id}] ${e.direction === 'in' ? 'peer sent FIN (half-closed)' : 'sent FIN (half-closed)'}`;
    case 'close':
      return `[${e.id}] closed (${byteCount(e.bytesIn)} in, ${byteCount(e.bytesOut)} out)`;
    case 'error':
      return `[${e.id}] error ${e.code}: ${e.message}`;
    case 'drop':
      return `[${e.id}] turned away ${e.remote}: ${e.reason === 'denied' ? 'not allowed' : 'over max-conns'}`;
    case 'tls':
      return `[${e.id}] TLS ${e.session.protocol} ${e.session.cipher}${e.session.alpn ? `, ALPN ${e.session.alpn}` : ''}${e.insecure ? ', NOT VERIFIED (insecure)' : ''}`;
    case 'mark':
      return `[${e.id}] ${e.mark} of ${byteCount(e.length)} ${e.direction === 'in' ? 'received' : 'sent'} at offset ${e.offset}: ${e.label}`;
  }
}
