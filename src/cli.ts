/**
 * `socket-lab`: runs `.sock` files headless. Pure Node: it shares the socket core and the
 * language with the extension.
 *
 *   socket-lab run FILE.sock [--block N]... [--var NAME=VALUE]... [--json] [--hex] [--full] [--verbose] [--capture FILE] [--pcapng FILE]
 *                            [--serve [--for DURATION]] [--timeout DURATION]
 *
 * Exit status: 0 every expectation held, 1 an expectation failed, 2 a parse, usage or network
 * error (an internal error too, after closing every socket), 130 interrupted (Ctrl-C, SIGTERM or
 * SIGHUP) before every block had run, 141 stdout was closed
 * before the run ended (`| head -1`; 128 + SIGPIPE, as shells report a process SIGPIPE ended).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
// esbuild inlines only the fields used: the version, kept in one place.
import packageJson from '../package.json';
import { durationTooLong, MAX_DURATION_MS, parseDuration } from './sock/parse/lexer';
import { hasErrors, parseSock } from './sock/parser';
import { DEFAULT_CAPTURE_LIMITS, TrafficCapture } from './net/capture';
import { toPcapng } from './net/pcapng';
import { TrafficBus } from './net/traffic';
import { SockRun } from './sock/runner';
import type { RunEvent } from './sock/runEvents';
import { eventToJson, formatDiagnostic, Transcript } from './sock/transcript';

interface RunFlags {
  capture?: string;
  pcapng?: string;
  block?: number[];
  json?: boolean;
  hex?: boolean;
  full?: boolean;
  verbose?: boolean;
  serve?: boolean;
  for?: number;
  timeout?: number;
  var?: Map<string, string>;
}

const USAGE_ERROR = 2;
/** Exit status after Ctrl-C, SIGTERM or SIGHUP cut the blocks short: 128 + SIGINT, as shells report Ctrl-C. */
const INTERRUPTED = 130;
/** The signals that stop a run: Ctrl-C, `kill`, and the terminal going away. Each closes every socket (and Unix socket file) first. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** The run in progress, so that an internal error can close its sockets before the process exits. */
let active: SockRun | undefined;
/** Exit status when the reader of stdout went away before the run ended: 128 + SIGPIPE. */
const OUTPUT_CLOSED = 141;

/** `NAME=VALUE` of `--var`, collected; the name as a file variable's (§3.1), the value literal text. */
function variable(value: string, previous: Map<string, string> = new Map()): Map<string, string> {
  const eq = value.indexOf('=');
  const name = eq < 0 ? value : value.slice(0, eq);
  if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new InvalidArgumentError('write NAME=VALUE, NAME as a variable is named (letters, digits, _ and -)');
  if (/[\r\n]/.test(value)) throw new InvalidArgumentError('a value is one line');
  return new Map(previous).set(name, value.slice(eq + 1));
}

function blockNumber(value: string, previous: number[] = []): number[] {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('a block number is 1 or more');
  return [...previous, Number(value)];
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('write a duration such as 30s, 500ms or 2m');
  if (ms > MAX_DURATION_MS) throw new InvalidArgumentError(durationTooLong(value));
  return ms;
}

/** Waits for a stop signal, `forMs` or `stop`, whichever comes first. */
function serveUntilStopped(forMs: number | undefined, out: (line: string) => void, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stop.removeEventListener('abort', done);
      for (const s of STOP_SIGNALS) process.off(s, done);
      clearTimeout(timer);
      resolve();
    };
    const timer = forMs === undefined ? undefined : setTimeout(done, forMs);
    for (const s of STOP_SIGNALS) process.on(s, done);
    stop.addEventListener('abort', done);
    out(forMs === undefined ? 'serving: listeners stay open until Ctrl-C' : `serving: listeners stay open for ${forMs / 1000} s (or until Ctrl-C)`);
  });
}

async function runFile(file: string, flags: RunFlags): Promise<number> {
  // Node ignores SIGPIPE: a reader that goes away (`| head -1`) shows up as an EPIPE 'error' on
  // stdout (or stderr), an uncaught exception with no listener. It ends the run quietly instead:
  // nothing more is written, every socket closes, and the exit status is OUTPUT_CLOSED.
  const outputClosed = new AbortController();
  const interrupted = new AbortController();
  const onOutputError = (): void => outputClosed.abort();
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  const write = (stream: NodeJS.WriteStream, line: string): void => {
    if (!outputClosed.signal.aborted) stream.write(line + '\n');
  };
  const out = (line: string): void => write(process.stdout, line);
  const err = (line: string): void => write(process.stderr, line);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    err(`socket-lab: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return 2;
  }
  const given = flags.var ?? new Map<string, string>();
  const parsed = parseSock(text, { given: new Set(given.keys()) });
  for (const d of parsed.diagnostics) err(formatDiagnostic(file, d));
  if (hasErrors(parsed)) {
    err(`socket-lab: ${file} has errors; nothing was run`);
    return 2;
  }
  const known = new Set(parsed.blocks.map((b) => b.index));
  const unknown = flags.block?.filter((n) => !known.has(n)) ?? [];
  if (unknown.length > 0) {
    err(`socket-lab: ${file} has ${parsed.blocks.length} blocks; no block ${unknown.join(', ')}`);
    return 2;
  }
  const transcript = new Transcript(file, { hex: flags.hex, full: flags.full, verbose: flags.verbose });
  const onEvent = (e: RunEvent): void => {
    if (flags.json) out(eventToJson(e));
    else {
      const line = transcript.format(e);
      if (line !== undefined) out(line);
    }
  };
  const bus = new TrafficBus();
  const capture = flags.capture || flags.pcapng ? new TrafficCapture(bus, DEFAULT_CAPTURE_LIMITS, flags.capture) : undefined;
  const run = new SockRun(parsed, {
    bus,
    baseDir: dirname(file),
    ...(flags.block ? { blocks: flags.block } : {}),
    ...(flags.timeout !== undefined ? { defaultTimeoutMs: flags.timeout } : {}),
    onEvent,
    variables: given,
    // Only a signal or a closed stdout cancels the run; the end of the run stops it (§7.2).
    signal: AbortSignal.any([outputClosed.signal, interrupted.signal]),
  });
  active = run;
  const stopOnSignal = (): void => {
    interrupted.abort();
    void run.stop(0);
  };
  for (const s of STOP_SIGNALS) process.once(s, stopOnSignal);
  await run.run();
  for (const s of STOP_SIGNALS) process.off(s, stopOnSignal);
  if (run.failedInternally) err(`socket-lab: internal error: ${run.failedInternally.message}; every listener and connection was closed`);
  else if (flags.serve && !outputClosed.signal.aborted) await serveUntilStopped(flags.for, flags.json ? () => undefined : out, outputClosed.signal);
  await run.stop(flags.serve || outputClosed.signal.aborted ? 0 : 2000);
  if (outputClosed.signal.aborted) return OUTPUT_CLOSED;
  if (run.wasInterrupted) {
    err('socket-lab: interrupted before every block had run');
    return INTERRUPTED;
  }
  if (capture) {
    await capture.dispose();
    if (capture.fileFailure) {
      err(`socket-lab: the capture file ${flags.capture} could not be written: ${capture.fileFailure.message}`);
      return 2;
    }
    if (capture.fileDroppedEvents > 0) err(`socket-lab: the disk fell behind; ${capture.fileDroppedEvents} events are missing from ${flags.capture}`);
    if (flags.pcapng) {
      const pcap = toPcapng(capture.events());
      try {
        await writeFile(flags.pcapng, pcap.bytes);
      } catch (e) {
        err(`socket-lab: the pcapng file ${flags.pcapng} could not be written: ${e instanceof Error ? e.message : String(e)}`);
        return 2;
      }
      if (capture.droppedEvents > 0) err(`socket-lab: the capture ring dropped the ${capture.droppedEvents} oldest events; ${flags.pcapng} has the rest`);
      if (pcap.skipped > 0) err(`socket-lab: ${pcap.skipped} events without an IP flow (Unix sockets) are not in ${flags.pcapng}`);
    }
  }
  return run.exitCode;
}

/** Builds the command line; exported for tests. */
export function createProgram(setExit: (code: number) => void): Command {
  const program = new Command('socket-lab')
    .description('Run Socket Lab .sock experiments headless: TCP, UDP and Unix sockets over real networks.')
    .version(packageJson.version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('run')
    .description('run the blocks of a .sock file in order and print a transcript')
    .argument('<file>', 'the .sock file')
    .option('-b, --block <n>', 'run only block N (1-based); repeat for more', blockNumber)
    .option('--var <name=value>', 'set the variable NAME to VALUE, over the file\'s @NAME = …; repeat for more', variable)
    .option('--json', 'print one JSON object per event (JSON lines)')
    .option('--hex', 'show payloads as a hex dump')
    .option('--full', 'show whole payloads as escaped text (by default a payload shows its first 200 bytes)')
    .option('--verbose', 'show every round of a repeat (by default the first 3, then one line sums up the rest)')
    .option('--capture <file>', 'also write every traffic event to FILE as JSON lines (payloads in base64)')
    .option('--pcapng <file>', 'write the traffic to FILE as pcapng for Wireshark/tshark (the last 10,000 events)')
    .option('--serve', 'keep listeners open after the last block, until Ctrl-C or --for')
    .addOption(new Option('--for <duration>', 'with --serve: stop after this long, e.g. 30s').argParser(duration))
    .addOption(new Option('--timeout <duration>', 'default timeout of connect, send and recv steps').default(undefined, '5s').argParser(duration))
    .action(async (file: string, flags: RunFlags) => {
      if (flags.for !== undefined && !flags.serve) {
        process.stderr.write('socket-lab: --for needs --serve\n');
        setExit(USAGE_ERROR);
        return;
      }
      setExit(await runFile(file, flags));
    });
  return program;
}

/**
 * An exception no part of the run caught: a defect of Socket Lab. Say so in one line (no stack),
 * close every socket of the run (removing its Unix socket files), and exit 2, even if some handle
 * would keep the process alive.
 */
function failInternally(e: unknown): void {
  process.stderr.write(`socket-lab: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  const exit = (): void => process.exit(2);
  setTimeout(exit, 2000).unref();
  void (active ? active.stop(0) : Promise.resolve()).finally(exit);
}

async function main(): Promise<void> {
  process.on('uncaughtException', failInternally);
  process.on('unhandledRejection', failInternally);
  let code = 0;
  let finished = false;
  // If the event loop empties while the run still awaits something, a promise can never settle:
  // say so and fail, rather than exit 0 with a cut transcript.
  process.once('beforeExit', () => {
    if (finished) return;
    process.stderr.write('socket-lab: internal error: the run stopped with an operation still pending\n');
    process.exitCode = 2;
  });
  const program = createProgram((c) => (code = c));
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      code = e.exitCode === 0 ? 0 : USAGE_ERROR;
    } else {
      failInternally(e);
      return;
    }
  }
  finished = true;
  process.exitCode = code;
}

void main();
