import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { SocketOwner } from '../net/owner';
import type { TrafficBus } from '../net/traffic';
import type { SockFile } from '../sock/ast';
import { blockErrors, hasErrors } from '../sock/parser';
import { SockRun } from '../sock/runner';
import type { RunEvent, SummaryEvent } from '../sock/runEvents';
import { caseName } from '../sock/suite/results';
import { Transcript } from '../sock/transcript';
import { Commands, SOCK_LANGUAGE } from './contributions';
import type { LoadViews } from './loadView';
import { InlineResults } from './inlineResults';
import type { ParsedDocuments } from './parsedDocuments';
import { readSettings } from './settings';

/** The run of one document, what it counted, and whether blocks are running now. */
interface Session {
  /** The document the run belongs to (a new document at a closed one's URI gets a run of its own). */
  readonly doc: vscode.TextDocument;
  readonly run: SockRun;
  readonly summary: { passed: number; failed: number; errors: number };
  busy: boolean;
  /** Told every event of the run while they watch (a Testing view run). */
  readonly observers: Set<(e: RunEvent) => void>;
  /** Removes the run from the socket owner. */
  readonly unregister: () => void;
}

/**
 * One run per open `.sock` document: blocks run from CodeLens share it, so a client block sees
 * the listeners started by the listener blocks above it, and those listeners keep running until
 * stopped, the document closes, or the extension deactivates. Each run registers with the
 * {@link SocketOwner}, so Stop All, the tree's ✕ and deactivation reach its sockets too.
 */
export class SockSessions implements vscode.Disposable {
  private readonly runs = new Map<string, Session>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a listener block starts or stops, so CodeLenses can say Start or Stop. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly bus: TrafficBus,
    private readonly log: vscode.LogOutputChannel,
    /** Where step outcomes go to be shown at the end of their lines. */
    readonly results: InlineResults,
    private readonly parsed: ParsedDocuments,
    private readonly owner: SocketOwner,
    /** The active environment's variables, which runs read as they expand (updated in place). */
    private readonly variables: ReadonlyMap<string, string>,
    /** The load blocks' live views. */
    private readonly loads?: LoadViews,
  ) {}

  private session(doc: vscode.TextDocument): Session {
    const key = doc.uri.toString();
    let s = this.runs.get(key);
    // The run of an older document at this URI (closed, its close not yet seen) ends; this one gets its own.
    if (s && s.doc !== doc) {
      void this.stop(doc.uri);
      s = undefined;
    }
    if (!s) {
      const transcript = new Transcript(vscode.workspace.asRelativePath(doc.uri));
      const summary = { passed: 0, failed: 0, errors: 0 };
      const observers = new Set<(e: RunEvent) => void>();
      const run = new SockRun(this.parsed.of(doc), {
        bus: this.bus,
        baseDir: doc.uri.scheme === 'file' ? dirname(doc.uri.fsPath) : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd()),
        defaultTimeoutMs: readSettings().timeoutMs,
        variables: this.variables,
        onEvent: (e) => {
          for (const o of observers) o(e);
          if (e.type === 'traffic') return; // the traffic log has it
          if (this.loads && (e.type === 'load-progress' || e.type === 'block' || (e.type === 'step' && e.load))) this.loads.event(doc, this.parsed.of(doc).blocks, e);
          if (e.type === 'load-progress') return;
          if (e.type === 'step') {
            this.results.record(doc.uri, e);
            if (e.status === 'pass') summary.passed++;
            else if (e.status === 'fail') summary.failed++;
            else if (e.status === 'error' && !e.expected) summary.errors++;
          }
          // A block with no expect that ran cleanly counts one pass, as in the CLI's summary.
          if (e.type === 'block-end' && e.unchecked && e.status === 'pass') summary.passed++;
          const block = e.type === 'block' || e.type === 'block-end' ? this.parsed.of(doc).blocks[e.block - 1] : undefined;
          if (block && e.type === 'block') this.results.blockStarted(doc.uri, block);
          if (block && e.type === 'block-end' && (e.status === 'fail' || e.status === 'error')) this.results.blockStopped(doc.uri, block);
          const line = transcript.format(e);
          if (line !== undefined) this.log.info(line.replace(/^\n/, ''));
        },
      });
      const unregister = this.owner.register({
        closeSocket: async (id) => {
          const closed = await run.closeSocket(id);
          if (closed) this.changed.fire(); // a listener stopped from the tree: its CodeLens says Start
          return closed;
        },
        closeAll: async () => void (await this.stop(doc.uri)),
      });
      s = { doc, run, summary, busy: false, observers, unregister };
      this.runs.set(key, s);
    }
    return s;
  }

  /** Asks CodeLenses to refresh (e.g. when the workspace becomes trusted). */
  refresh(): void {
    this.changed.fire();
  }

  /** True while listener block `index` of the document is running. */
  isListening(uri: vscode.Uri, index: number): boolean {
    return this.runs.get(uri.toString())?.run.isListening(index) ?? false;
  }

  /**
   * Runs blocks of the document (all when `indices` is absent), in one run with the blocks run
   * before, so they see its listeners. A block with an error does not run (the message says which
   * and on which line); the others do. With `opts.token` the caller shows progress and cancels (the
   * Testing view); without, a notification does, with Cancel. Refuses in an untrusted workspace.
   *
   * @returns the expectations that held and failed and the errors of these blocks, and the blocks
   *   an error kept from running (with the line of the first); undefined when the workspace is
   *   untrusted or the file is running blocks already
   */
  async runBlocks(doc: vscode.TextDocument, indices?: readonly number[], opts: RunBlocksOptions = {}): Promise<BlockRunResult | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Socket Lab does not run .sock files in an untrusted workspace.');
      return undefined;
    }
    const file = this.parsed.of(doc);
    const wanted = indices ?? file.blocks.map((b) => b.index);
    const errors = blockErrors(file);
    const refused = new Map(wanted.filter((i) => errors.has(i)).map((i) => [i, errors.get(i) ?? 0]));
    const blocks = wanted.filter((i) => !refused.has(i));
    if (refused.size > 0 && !opts.token) void vscode.window.showErrorMessage(refusal(file, refused, blocks.length));
    if (blocks.length === 0) return { passed: 0, failed: 0, errors: 0, refused };
    const s = this.session(doc);
    if (s.busy) {
      // One thing at a time per file: a second click while blocks run would interleave them.
      void vscode.window.showInformationMessage('Socket Lab: this file is still running; wait for it or cancel it first.');
      return undefined;
    }
    s.busy = true;
    const before = { ...s.summary };
    if (opts.onEvent) s.observers.add(opts.onEvent);
    const go = async (token: vscode.CancellationToken): Promise<void> => {
      // Cancel stops these blocks only; the file's running listeners keep running (Stop stops them).
      const cancelled = new AbortController();
      const cancel = token.onCancellationRequested(() => cancelled.abort());
      try {
        await s.run.runBlocks(blocks, file, cancelled.signal);
      } finally {
        cancel.dispose();
        if (opts.onEvent) s.observers.delete(opts.onEvent);
        s.busy = false;
      }
    };
    if (opts.token) await go(opts.token);
    else {
      const first = file.blocks[blocks[0] - 1];
      const title = blocks.length === 1 && first ? caseName(first) : `${blocks.length} blocks`;
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Socket Lab: running ${title}`, cancellable: true }, (_p, token) => go(token));
    }
    this.changed.fire();
    return { passed: s.summary.passed - before.passed, failed: s.summary.failed - before.failed, errors: s.summary.errors - before.errors, refused };
  }

  /**
   * After a save: each running listener of the document takes the saved file's block with the same
   * `listen` line, its rules and steps, without closing its connections (they answer their next
   * message by the new rules); the log says what was reloaded.
   */
  reload(doc: vscode.TextDocument): void {
    const s = this.runs.get(doc.uri.toString());
    if (!s) return;
    const file = this.parsed.of(doc);
    if (hasErrors(file)) {
      if (s.run.listeningCount > 0) this.log.warn(`${vscode.workspace.asRelativePath(doc.uri)} was saved with errors: its running listeners keep the rules they had`);
      return;
    }
    for (const r of s.run.reload(file)) {
      if (r.reloaded) this.log.info(`[${r.listener}] reloaded from the saved file${r.rules > 0 ? `: ${r.rules} rule${r.rules === 1 ? '' : 's'}` : ''}; its open connections stay and answer by them`);
      else this.log.info(`[${r.listener}] not reloaded: the saved file has no block with its listen line; stop and start it to apply the change`);
    }
    this.changed.fire();
  }

  /** A running listener's responder rules and their hits, whichever document's run started it. */
  rulesOf(listenerId: string): { readonly source: string; readonly line: number; readonly hits: number }[] | undefined {
    for (const s of this.runs.values()) {
      const rules = s.run.rulesOf(listenerId);
      if (rules) return rules;
    }
    return undefined;
  }

  /** Stops listener block `index` of the document. */
  async stopBlock(uri: vscode.Uri, index: number): Promise<void> {
    await this.runs.get(uri.toString())?.run.stopBlock(index);
    this.changed.fire();
  }

  /** A document closed: its run ends, unless a newer document at its URI has the run now. */
  closed(doc: vscode.TextDocument): Promise<SummaryEvent | undefined> {
    return this.runs.get(doc.uri.toString())?.doc === doc ? this.stop(doc.uri) : Promise.resolve(undefined);
  }

  /** Ends the document's run: its listeners and kept connections close. */
  async stop(uri: vscode.Uri): Promise<SummaryEvent | undefined> {
    const s = this.runs.get(uri.toString());
    this.runs.delete(uri.toString());
    s?.unregister();
    const summary = await s?.run.stop(0);
    this.changed.fire();
    return summary;
  }

  dispose(): void {
    for (const key of [...this.runs.keys()]) void this.stop(vscode.Uri.parse(key));
    this.changed.dispose();
  }
}

/** How {@link SockSessions.runBlocks} runs for a caller that shows its own progress. */
export interface RunBlocksOptions {
  /** Cancels the blocks; the caller shows progress (no notification, no message for refused blocks). */
  readonly token?: vscode.CancellationToken;
  /** Told every event of the run while these blocks run. */
  readonly onEvent?: (e: RunEvent) => void;
}

/** What {@link SockSessions.runBlocks} ran. */
export interface BlockRunResult {
  readonly passed: number;
  readonly failed: number;
  readonly errors: number;
  /** The blocks an error kept from running, with the 0-based line of each one's first error. */
  readonly refused: ReadonlyMap<number, number>;
}

/** The message for blocks an error kept from running: which, on which line, and whether others ran. */
function refusal(file: SockFile, refused: ReadonlyMap<number, number>, ran: number): string {
  const [[index, line]] = refused;
  const block = file.blocks[index - 1];
  const which = refused.size === 1 ? `block ${index}${block?.title ? ` (${block.title})` : ''} has an error on line ${line + 1}` : `${refused.size} blocks have errors, the first on line ${line + 1}`;
  return `Socket Lab: ${which} and did not run${ran > 0 ? '; the other blocks ran' : ''}. See the Problems view.`;
}

/** CodeLens above each block: Run, or Start/Stop for a listener block; Run All at the top. */
export class SockCodeLensProvider implements vscode.CodeLensProvider {
  constructor(
    private readonly sessions: SockSessions,
    private readonly parsed: ParsedDocuments,
  ) {}

  get onDidChangeCodeLenses(): vscode.Event<void> {
    return this.sessions.onDidChange;
  }

  provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): vscode.CodeLens[] {
    // In an untrusted workspace nothing runs from a file, so nothing offers to.
    if (!vscode.workspace.isTrusted) return [];
    const file = this.parsed.of(doc);
    if (token.isCancellationRequested || file.blocks.length === 0) return [];
    const lenses: vscode.CodeLens[] = [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { title: '$(run-all) Run All', command: Commands.runFile, arguments: [doc.uri] })];
    for (const block of file.blocks) {
      const at = new vscode.Range(block.range.start.line, 0, block.range.start.line, 0);
      if (block.header?.kind === 'listen') {
        const on = this.sessions.isListening(doc.uri, block.index);
        lenses.push(new vscode.CodeLens(at, on ? { title: '$(debug-stop) Stop', command: Commands.stopBlock, arguments: [doc.uri, block.index] } : { title: '$(play) Start', command: Commands.runBlock, arguments: [doc.uri, block.index] }));
      } else {
        lenses.push(new vscode.CodeLens(at, { title: '$(play) Run', command: Commands.runBlock, arguments: [doc.uri, block.index] }));
      }
    }
    return lenses;
  }
}

/** Registers the CodeLens provider and the commands it calls; returns the sessions. */
export function registerSockRuns(context: vscode.ExtensionContext, bus: TrafficBus, log: vscode.LogOutputChannel, parsed: ParsedDocuments, owner: SocketOwner, variables: ReadonlyMap<string, string>, loads?: LoadViews): SockSessions {
  const results = new InlineResults(parsed);
  const sessions = new SockSessions(bus, log, results, parsed, owner, variables, loads);
  const docOf = async (uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> => {
    if (uri) return vscode.workspace.openTextDocument(uri);
    const doc = vscode.window.activeTextEditor?.document;
    if (doc?.languageId === SOCK_LANGUAGE) return doc;
    // Run from the walkthrough (or with focus in another view): the one .sock editor in sight.
    const visible = vscode.window.visibleTextEditors.filter((e) => e.document.languageId === SOCK_LANGUAGE);
    if (visible.length === 1) return visible[0].document;
    void vscode.window.showInformationMessage('Open a .sock file to run it.');
    return undefined;
  };
  context.subscriptions.push(
    sessions,
    results,
    vscode.languages.registerCodeLensProvider({ language: SOCK_LANGUAGE }, new SockCodeLensProvider(sessions, parsed)),
    vscode.commands.registerCommand(Commands.runBlock, async (uri: vscode.Uri, index: number) => {
      const doc = await docOf(uri);
      return doc ? sessions.runBlocks(doc, [index]) : undefined;
    }),
    vscode.commands.registerCommand(Commands.stopBlock, (uri: vscode.Uri, index: number) => sessions.stopBlock(uri, index)),
    // The results show at the end of their lines and in the tree; the log stays where it is (Show Log opens it).
    vscode.commands.registerCommand(Commands.runFile, async (uri?: vscode.Uri) => {
      const doc = await docOf(uri);
      return doc ? sessions.runBlocks(doc) : undefined;
    }),
    vscode.commands.registerCommand(Commands.runBlockAtCursor, async () => {
      const editor = vscode.window.activeTextEditor;
      if (editor?.document.languageId !== SOCK_LANGUAGE) {
        void vscode.window.showInformationMessage('Put the cursor in a block of a .sock file to run it.');
        return undefined;
      }
      const line = editor.selection.active.line;
      const block = parsed.of(editor.document).blocks.find((b) => line >= b.range.start.line && line <= b.range.end.line);
      if (!block) {
        void vscode.window.showInformationMessage('The cursor is above the first block (### …); put it in a block to run it.');
        return undefined;
      }
      return sessions.runBlocks(editor.document, [block.index]);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => void sessions.closed(doc)),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc.languageId === SOCK_LANGUAGE) sessions.reload(doc);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => sessions.refresh()),
  );
  return sessions;
}
