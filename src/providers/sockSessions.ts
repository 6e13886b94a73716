import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { SocketOwner } from '../net/owner';
import type { TrafficBus } from '../net/traffic';
import { hasErrors } from '../sock/parser';
import { SockRun } from '../sock/runner';
import type { SummaryEvent } from '../sock/runEvents';
import { Transcript } from '../sock/transcript';
import { Commands, SOCK_LANGUAGE } from './contributions';
import { InlineResults } from './inlineResults';
import type { ParsedDocuments } from './parsedDocuments';
import { readSettings } from './settings';

/** The run of one document, what it counted, and whether blocks are running now. */
interface Session {
  readonly run: SockRun;
  readonly summary: { passed: number; failed: number; errors: number };
  busy: boolean;
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
  ) {}

  private session(doc: vscode.TextDocument): Session {
    const key = doc.uri.toString();
    let s = this.runs.get(key);
    if (!s) {
      const transcript = new Transcript(vscode.workspace.asRelativePath(doc.uri));
      const summary = { passed: 0, failed: 0, errors: 0 };
      const run = new SockRun(this.parsed.of(doc), {
        bus: this.bus,
        baseDir: doc.uri.scheme === 'file' ? dirname(doc.uri.fsPath) : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd()),
        defaultTimeoutMs: readSettings().timeoutMs,
        onEvent: (e) => {
          if (e.type === 'traffic') return; // the traffic log has it
          if (e.type === 'step') {
            this.results.record(doc.uri, e);
            if (e.status === 'pass') summary.passed++;
            else if (e.status === 'fail') summary.failed++;
            else if (e.status === 'error' && !e.expected) summary.errors++;
          }
          // A block with no expect that ran cleanly counts one pass, as in the CLI's summary.
          if (e.type === 'block-end' && e.unchecked && e.status === 'pass') summary.passed++;
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
      s = { run, summary, busy: false, unregister };
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
   * Runs blocks of the document (all when `indices` is absent) with progress that can be
   * cancelled; refuses in an untrusted workspace and for a file with errors.
   *
   * @returns the expectations that held and failed and the errors of these blocks
   */
  async runBlocks(doc: vscode.TextDocument, indices?: readonly number[]): Promise<{ passed: number; failed: number; errors: number } | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Socket Lab does not run .sock files in an untrusted workspace.');
      return undefined;
    }
    const file = this.parsed.of(doc);
    if (hasErrors(file)) {
      void vscode.window.showErrorMessage('Socket Lab: the .sock file has errors; see the Problems view.');
      return undefined;
    }
    const s = this.session(doc);
    if (s.busy) {
      // One thing at a time per file: a second click while blocks run would interleave them.
      void vscode.window.showInformationMessage('Socket Lab: this file is still running; wait for it or cancel it first.');
      return undefined;
    }
    s.busy = true;
    const before = { ...s.summary };
    const blocks = indices ?? file.blocks.map((b) => b.index);
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Socket Lab: running ${blocks.length === 1 ? `block ${blocks[0]}` : `${blocks.length} blocks`}`, cancellable: true },
      async (_p, token) => {
        // Cancel stops these blocks only; the file's running listeners keep running (Stop stops them).
        const cancelled = new AbortController();
        const cancel = token.onCancellationRequested(() => cancelled.abort());
        try {
          await s.run.runBlocks(blocks, file, cancelled.signal);
        } finally {
          cancel.dispose();
          s.busy = false;
        }
      },
    );
    this.changed.fire();
    return { passed: s.summary.passed - before.passed, failed: s.summary.failed - before.failed, errors: s.summary.errors - before.errors };
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
export function registerSockRuns(context: vscode.ExtensionContext, bus: TrafficBus, log: vscode.LogOutputChannel, parsed: ParsedDocuments, owner: SocketOwner): SockSessions {
  const results = new InlineResults(parsed);
  const sessions = new SockSessions(bus, log, results, parsed, owner);
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
    vscode.commands.registerCommand(Commands.runFile, async (uri?: vscode.Uri) => {
      const doc = await docOf(uri);
      if (!doc) return undefined;
      if (vscode.workspace.isTrusted) log.show(true);
      return sessions.runBlocks(doc);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => void sessions.stop(doc.uri)),
    vscode.workspace.onDidSaveTextDocument((doc) => {
      if (doc.languageId === SOCK_LANGUAGE) sessions.reload(doc);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => sessions.refresh()),
  );
  return sessions;
}
