/**
 * `socket-lab`: runs `.sock` files headless. Pure Node: it shares the socket core and the
 * language with the extension.
 *
 *   socket-lab run FILE.sock [--block N]... [--var NAME=VALUE]... [--json] [--hex] [--full] [--verbose] [--capture FILE] [--pcapng FILE]
 *                            [--serve [--for DURATION]] [--timeout DURATION]
 *   socket-lab export FILE.sock --lang python|node [--block N]... [--output FILE]
 *   socket-lab test [PATH]... [--jobs N] [--bail] [--filter PATTERN] [--repeat N] [--env NAME] [--env-file FILE]
 *                             [--var NAME=VALUE]... [--reporter human|junit|tap|json] [--report-file FILE] [--timeout DURATION]
 *
 * Exit status: 0 every expectation held, 1 an expectation failed, 2 a parse, usage or network
 * error (an internal error too, after closing every socket), 130 interrupted (Ctrl-C, SIGTERM or
 * SIGHUP) before every block had run, 141 stdout was closed
 * before the run ended (`| head -1`; 128 + SIGPIPE, as shells report a process SIGPIPE ended).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
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
import { formatDiagnostic, JsonLines, Transcript } from './sock/transcript';
import { BytePattern } from './net/regex';
import { discoverSockFiles } from './sock/suite/discover';
import { ENV_FILE, EnvironmentFile, redact, type Environment } from './sock/suite/environments';
import { countsText, exitStatus, humanReport, jsonReport, junitReport, REPORTERS, tapReport, totals, type ReporterName } from './sock/suite/reporters';
import { fileStatus, runSuite, type FileResult } from './sock/suite/suite';
import { EXPORT_LANGUAGES, exportSock, type ExportLanguage } from './sock/export';

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

/**
 * Bytes of output waiting for stdout's reader past which a run's steps wait for it (a pipe whose
 * reader stopped reading, such as `| less`): a program blocked in write(2) waits the same way.
 */
const OUTPUT_BEHIND = 1024 * 1024;
/**
 * Bytes of output waiting past which the run stops: events no step waits for (a peer flooding an
 * `echo` or a `forward` with `--json`) would otherwise fill the memory.
 */
const OUTPUT_LIMIT = 64 * 1024 * 1024;

/**
 * Paces a run by the reader of `stream` (Node buffers a pipe's writes in memory without bound):
 * `ready` is the run's `outputReady`, undefined while under {@link OUTPUT_BEHIND} bytes wait,
 * else a promise that settles at the stream's next 'drain' or when `stop` aborts.
 */
function outputPacer(stream: NodeJS.WriteStream, stop: AbortSignal): () => Promise<void> | undefined {
  let drained: Promise<void> | undefined;
  return () => {
    if (stream.writableLength < OUTPUT_BEHIND || stop.aborted) return undefined;
    drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stop.removeEventListener('abort', done);
        drained = undefined;
        resolve();
      };
      stream.on('drain', done);
      stop.addEventListener('abort', done, { once: true });
    });
    return drained;
  };
}

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
  // Output that no step waits for and whose reader does not read: the run stops (OUTPUT_LIMIT).
  const outputBehind = new AbortController();
  const onOutputError = (): void => outputClosed.abort();
  process.stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  const write = (stream: NodeJS.WriteStream, line: string): void => {
    if (outputClosed.signal.aborted) return;
    stream.write(line + '\n');
    if (stream.writableLength > OUTPUT_LIMIT && !outputBehind.signal.aborted) outputBehind.abort();
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
  const json = new JsonLines(flags.verbose);
  const onEvent = (e: RunEvent): void => {
    if (flags.json) {
      const line = json.format(e);
      if (line !== undefined) out(line);
    } else {
      const line = transcript.format(e);
      if (line !== undefined) out(line);
    }
  };
  const bus = new TrafficBus();
  const capture = flags.capture || flags.pcapng ? new TrafficCapture(bus, DEFAULT_CAPTURE_LIMITS, flags.capture) : undefined;
  // Only a signal, a closed stdout or one too far behind cancels the run; the end of the run stops it (§7.2).
  const cancel = AbortSignal.any([outputClosed.signal, interrupted.signal, outputBehind.signal]);
  const run = new SockRun(parsed, {
    bus,
    baseDir: dirname(file),
    ...(flags.block ? { blocks: flags.block } : {}),
    ...(flags.timeout !== undefined ? { defaultTimeoutMs: flags.timeout } : {}),
    onEvent,
    variables: given,
    ...(flags.verbose ? { everyRound: true } : {}),
    outputReady: outputPacer(process.stdout, cancel),
    signal: cancel,
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
  else if (flags.serve && !outputClosed.signal.aborted && !outputBehind.signal.aborted) {
    await serveUntilStopped(flags.for, flags.json ? () => undefined : out, AbortSignal.any([outputClosed.signal, outputBehind.signal]));
  }
  await run.stop(flags.serve || outputClosed.signal.aborted || outputBehind.signal.aborted ? 0 : 2000);
  if (outputClosed.signal.aborted) return OUTPUT_CLOSED;
  if (outputBehind.signal.aborted) {
    err(`socket-lab: the reader of the output fell ${OUTPUT_LIMIT / 1024 / 1024} MiB behind, so the run was stopped (events no step waits for, such as a peer's traffic with --json); read the output as it comes, or write the traffic to a file with --capture`);
    return 2;
  }
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

interface TestFlags {
  jobs: number;
  bail?: boolean;
  filter?: BytePattern;
  repeat: number;
  env?: string;
  envFile?: string;
  var?: Map<string, string>;
  reporter: ReporterName;
  reportFile?: string;
  timeout?: number;
}

function positive(what: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000) throw new InvalidArgumentError(`${what} is a whole number from 1 to 10000`);
    return Number(value);
  };
}

function titlePattern(value: string): BytePattern {
  try {
    return BytePattern.of(value, '');
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/**
 * The environment a test run uses: `--env NAME` of the environment file (`--env-file`, else
 * sock.env.json in the current folder), or its `$shared` variables alone when the file exists.
 * @throws Error when --env names an environment the file lacks, the file is missing or malformed,
 *   or a secret's process variable is not set
 */
async function chooseEnvironment(flags: TestFlags): Promise<Environment> {
  const path = flags.envFile ?? join(process.cwd(), ENV_FILE);
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' && flags.envFile === undefined && flags.env === undefined) return undefined;
    throw new Error(`cannot read the environment file ${path}: ${e.code ?? e.message}`);
  });
  if (text === undefined) return { variables: new Map(), secrets: [] };
  return EnvironmentFile.parse(text, path).resolve(flags.env, process.env);
}

/** One line per file run as it ends, for a log; on a terminal, one progress line rewritten in place. */
function progressReporter(total: number): { done: (r: FileResult) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let finished = 0;
  let failing = 0;
  return {
    done: (r) => {
      finished++;
      const status = fileStatus(r);
      if (status !== 'passed') failing++;
      if (tty) {
        process.stderr.write(`\r\x1b[2K${finished}/${total} files${failing > 0 ? `, ${failing} failing` : ''}`);
        return;
      }
      process.stderr.write(`${status === 'passed' ? '✔' : '✘'} ${r.file}${r.round > 1 ? ` (round ${r.round})` : ''}: ${countsText(totals([r]))} (${Math.round(r.ms)} ms)\n`);
    },
    end: () => {
      if (tty && finished > 0) process.stderr.write('\r\x1b[2K');
    },
  };
}

async function testFiles(paths: string[], flags: TestFlags): Promise<number> {
  const err = (line: string): void => void process.stderr.write(`socket-lab: ${line}\n`);
  let env: Environment;
  let files: string[];
  try {
    env = await chooseEnvironment(flags);
    files = await discoverSockFiles(paths, process.cwd());
  } catch (e) {
    err((e as Error).message);
    return USAGE_ERROR;
  }
  if (files.length === 0) {
    err(`no .sock files under ${paths.length > 0 ? paths.join(', ') : 'the current folder'}`);
    return USAGE_ERROR;
  }
  const variables = new Map([...env.variables, ...(flags.var ?? [])]);
  const interrupted = new AbortController();
  const stop = (): void => interrupted.abort();
  for (const s of STOP_SIGNALS) process.once(s, stop);
  const progress = progressReporter(files.length * flags.repeat);
  const t0 = performance.now();
  const filter = flags.filter;
  const results = await runSuite(files, {
    jobs: flags.jobs,
    repeat: flags.repeat,
    ...(flags.bail ? { bail: true } : {}),
    ...(filter ? { filter: (name: string) => filter.test(Buffer.from(name)) } : {}),
    variables,
    ...(flags.timeout !== undefined ? { defaultTimeoutMs: flags.timeout } : {}),
    signal: interrupted.signal,
    onFileDone: progress.done,
  });
  for (const s of STOP_SIGNALS) process.off(s, stop);
  progress.end();
  const ms = performance.now() - t0;
  const report = (name: ReporterName): string => (name === 'junit' ? junitReport(results, env.secrets) : name === 'tap' ? tapReport(results, env.secrets) : name === 'json' ? jsonReport(results, env.secrets) : humanReport(results, ms, env.secrets));
  if (flags.reportFile) {
    try {
      await writeFile(flags.reportFile, report(flags.reporter === 'human' ? 'junit' : flags.reporter));
    } catch (e) {
      err(`the report ${flags.reportFile} could not be written: ${(e as Error).message}`);
      return USAGE_ERROR;
    }
    process.stdout.write(humanReport(results, ms, env.secrets));
  } else process.stdout.write(report(flags.reporter));
  if (interrupted.signal.aborted) {
    err(redact('interrupted before every file had run', env.secrets));
    return INTERRUPTED;
  }
  return exitStatus(results);
}

interface ExportFlags {
  lang: ExportLanguage;
  block?: number[];
  output?: string;
}

/**
 * `socket-lab export`: prints (or writes) the program; what has no translation goes to stderr,
 * one line each with its place. Exit status 0, or 2 for a file that cannot be read or parsed.
 */
async function exportFile(file: string, flags: ExportFlags): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    process.stderr.write(`socket-lab: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return USAGE_ERROR;
  }
  const parsed = parseSock(text);
  for (const d of parsed.diagnostics) process.stderr.write(formatDiagnostic(file, d) + '\n');
  if (hasErrors(parsed)) {
    process.stderr.write(`socket-lab: ${file} has errors; nothing was exported\n`);
    return USAGE_ERROR;
  }
  let result;
  try {
    result = exportSock(parsed, { lang: flags.lang, blocks: flags.block, fileName: basename(file), baseDir: resolve(dirname(file)) });
  } catch (e) {
    process.stderr.write(`socket-lab: ${(e as Error).message}\n`);
    return USAGE_ERROR;
  }
  for (const n of result.untranslated) process.stderr.write(`${file}:${n.line}: not translated: ${n.source}: ${n.reason}\n`);
  if (flags.output) {
    try {
      await writeFile(flags.output, result.code);
    } catch (e) {
      process.stderr.write(`socket-lab: cannot write ${flags.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return USAGE_ERROR;
    }
  } else process.stdout.write(result.code);
  return 0;
}

/** Builds the command line; exported for tests. */
export function createProgram(setExit: (code: number) => void): Command {
  const program = new Command('socket-lab')
    .description('Run Socket Lab .sock experiments headless: TCP, UDP, Unix and TLS sockets over real networks.')
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
  program
    .command('export')
    .description('print a .sock file (or some of its blocks) as a Python 3 or Node program that does the same')
    .argument('<file>', 'the .sock file')
    .addOption(new Option('--lang <language>', 'the language of the program').choices(EXPORT_LANGUAGES).makeOptionMandatory())
    .option('-b, --block <n>', 'only block N (1-based), with the listeners and kept connections it names; repeat for more', blockNumber)
    .option('-o, --output <file>', 'write the program to FILE instead of stdout')
    .action(async (file: string, flags: ExportFlags) => setExit(await exportFile(file, flags)));
  program
    .command('test')
    .description('run .sock files as tests: each client block is a case, listener blocks are fixtures; files run in parallel')
    .argument('[paths...]', '.sock files and folders (every .sock file under a folder, as .gitignore allows)', [])
    .addOption(new Option('-j, --jobs <n>', 'files run at once').default(availableParallelism(), 'the number of cores').argParser(positive('--jobs')))
    .option('--bail', 'stop after the first file with a failure or error')
    .addOption(new Option('--filter <pattern>', 'run only the cases whose title matches this regular expression (RE2 syntax)').argParser(titlePattern))
    .addOption(new Option('--repeat <n>', 'run each file N times').default(1).argParser(positive('--repeat')))
    .option('--env <name>', `use environment NAME of the environment file (${ENV_FILE})`)
    .option('--env-file <file>', `the environment file (default: ${ENV_FILE} in the current folder, if any)`)
    .option('--var <name=value>', 'set the variable NAME to VALUE, over the environment and the files; repeat for more', variable)
    .addOption(new Option('--reporter <name>', 'the report on stdout, or in --report-file').choices(REPORTERS).default('human'))
    .option('--report-file <file>', 'write the report (junit unless --reporter says) to FILE; the summary still goes to stdout')
    .addOption(new Option('--timeout <duration>', 'default timeout of connect, send and recv steps').default(undefined, '5s').argParser(duration))
    .action(async (paths: string[], flags: TestFlags) => setExit(await testFiles(paths, flags)));
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
