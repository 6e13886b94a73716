import * as vscode from 'vscode';
import type { Block, SockFile } from '../sock/ast';
import type { RunEvent } from '../sock/runEvents';
import { parseSock } from '../sock/parser';
import { CaseCollector, caseName, isFixture, loadChecks, type CaseFailure } from '../sock/suite/results';
import { selectBlocks } from '../sock/suite/suite';
import { Transcript } from '../sock/transcript';
import { Commands, SOCK_LANGUAGE } from './contributions';
import type { ParsedDocuments } from './parsedDocuments';
import type { SockSessions } from './sockSessions';

/** One case's outcome in the last run, as the Testing view was told it (for the integration tests). */
export interface TestOutcome {
  /** `path/of/file.sock` or `path/of/file.sock › case name`. */
  readonly name: string;
  readonly state: 'passed' | 'failed' | 'errored' | 'skipped';
  /** Each message with the 1-based line it points at, and expected/actual when it has them. */
  readonly messages: readonly { readonly text: string; readonly line?: number; readonly expected?: string; readonly actual?: string }[];
}

/** The id of Socket Lab's test controller. */
export const TEST_CONTROLLER = 'socketLab';
/** How long the Testing view waits after the last edit before listing a file's blocks again (ms). */
const REFRESH_PAUSE_MS = 300;
/** The most `.sock` files the Testing view lists. */
const MAX_TEST_FILES = 10_000;
/** The largest `.sock` file read from disk for the Testing view (bytes); larger ones list no cases until opened. */
const MAX_TEST_FILE_BYTES = 16 * 1024 * 1024;

/**
 * VS Code's Testing view for `.sock` files: every `.sock` file of the workspace is a test item
 * whose children are its client, `use` and lookup blocks (listener blocks are fixtures, not
 * cases). Files are found when the Testing view first asks and parsed only when it expands them,
 * runs them, or the file is opened; edits and file changes keep the blocks in step. Runs go through the document's
 * run ({@link SockSessions}), so the tree, the log, the traffic view and the inline results show
 * them too; a run starts the listeners and kept connections its cases need and stops the
 * listeners it started. In an untrusted workspace there is nothing to run.
 */
export class SockTests implements vscode.Disposable {
  private readonly controller = vscode.tests.createTestController(TEST_CONTROLLER, 'Socket Lab');
  private readonly disposables: vscode.Disposable[] = [this.controller];
  /** File items whose blocks have been listed. */
  private readonly resolved = new WeakSet<vscode.TestItem>();
  /** What the last run reported, in order. */
  private last: TestOutcome[] = [];
  /** Refreshes waiting for a pause in typing, by file. */
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** The run profiles, once the workspace is trusted (disposed with the controller). */
  private readonly profiles: vscode.TestRunProfile[] = [];

  constructor(
    private readonly sessions: SockSessions,
    private readonly parsed: ParsedDocuments,
  ) {
    this.controller.resolveHandler = (item) => (item ? this.listBlocks(item) : this.findFiles());
    this.controller.refreshHandler = () => this.findFiles();
    if (vscode.workspace.isTrusted) this.createProfiles();
    else this.disposables.push(vscode.workspace.onDidGrantWorkspaceTrust(() => this.createProfiles()));
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.sock');
    this.disposables.push(
      watcher,
      watcher.onDidCreate((uri) => this.fileItem(uri)),
      watcher.onDidDelete((uri) => this.controller.items.delete(uri.toString())),
      watcher.onDidChange((uri) => this.refresh(uri)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.languageId === SOCK_LANGUAGE) this.refresh(e.document.uri);
      }),
      vscode.workspace.onDidOpenTextDocument((doc) => this.opened(doc)),
    );
    for (const doc of vscode.workspace.textDocuments) this.opened(doc);
  }

  /** An opened `.sock` file of the workspace lists its cases (its parse is made for the editor anyway). */
  private opened(doc: vscode.TextDocument): void {
    if (doc.languageId !== SOCK_LANGUAGE || doc.uri.scheme !== 'file' || !vscode.workspace.getWorkspaceFolder(doc.uri)) return;
    this.setBlocks(this.fileItem(doc.uri), this.parsed.of(doc));
  }

  private createProfiles(): void {
    this.profiles.push(
      this.controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, (req, token) => this.run(req, token, false), true),
      this.controller.createRunProfile('Run with Traffic View', vscode.TestRunProfileKind.Run, (req, token) => this.run(req, token, true), false),
    );
  }

  /** The labels of the run profiles offered (none in an untrusted workspace). */
  profileLabels(): string[] {
    return this.profiles.map((p) => p.label);
  }

  /** Lists every `.sock` file of the workspace (not node_modules), without reading them. */
  private async findFiles(): Promise<void> {
    const uris = await vscode.workspace.findFiles('**/*.sock', '**/node_modules/**', MAX_TEST_FILES);
    const keep = new Set(uris.map((u) => u.toString()));
    this.controller.items.forEach((item) => {
      if (!keep.has(item.id)) this.controller.items.delete(item.id);
    });
    for (const uri of uris) this.fileItem(uri);
  }

  /** The item of a file, made when missing. */
  private fileItem(uri: vscode.Uri): vscode.TestItem {
    const existing = this.controller.items.get(uri.toString());
    if (existing) return existing;
    const item = this.controller.createTestItem(uri.toString(), vscode.workspace.asRelativePath(uri), uri);
    item.canResolveChildren = true;
    this.controller.items.add(item);
    return item;
  }

  /** The file's parse: the open document's, else the file read from disk. */
  private async parse(uri: vscode.Uri): Promise<SockFile | undefined> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return this.parsed.of(open);
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > MAX_TEST_FILE_BYTES) return undefined;
      return parseSock(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
    } catch {
      return undefined;
    }
  }

  private async listBlocks(item: vscode.TestItem): Promise<void> {
    if (!item.uri) return;
    const file = await this.parse(item.uri);
    if (file) this.setBlocks(item, file);
  }

  /** Makes the file item's children its cases, as the file is now. */
  private setBlocks(item: vscode.TestItem, file: SockFile): void {
    const uri = item.uri as vscode.Uri;
    this.resolved.add(item);
    item.children.replace(file.blocks.filter((b) => !isFixture(b)).map((b) => this.blockItem(uri, b)));
  }

  private blockItem(uri: vscode.Uri, b: Block): vscode.TestItem {
    const child = this.controller.createTestItem(String(b.index), caseName(b), uri);
    child.range = new vscode.Range(b.range.start.line, 0, b.range.end.line, 0);
    // A load block's expectations are cases of their own, under it (§8.15).
    child.children.replace(
      loadChecks(b).map((c) => {
        const check = this.controller.createTestItem(`${b.index}:${c.range.start.line}`, c.source, uri);
        check.range = new vscode.Range(c.range.start.line, 0, c.range.start.line, c.source.length);
        return check;
      }),
    );
    return child;
  }

  /**
   * After an edit or a change on disk: lists the blocks again, for a file whose blocks were listed,
   * once typing pauses (a large file takes tens of ms to parse; the diagnostics wait as long).
   */
  private refresh(uri: vscode.Uri): void {
    const key = uri.toString();
    const item = this.controller.items.get(key);
    if (!item || !this.resolved.has(item)) return;
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        void this.listBlocks(item);
      }, REFRESH_PAUSE_MS),
    );
  }

  /** The cases a request asks for, by file item: all of a file's, or the blocks named. */
  private async requested(req: vscode.TestRunRequest): Promise<Map<vscode.TestItem, vscode.TestItem[]>> {
    const excluded = new Set(req.exclude ?? []);
    const byFile = new Map<vscode.TestItem, vscode.TestItem[]>();
    const roots: vscode.TestItem[] = [];
    if (req.include) roots.push(...req.include);
    else {
      if (this.controller.items.size === 0) await this.findFiles();
      this.controller.items.forEach((i) => roots.push(i));
    }
    for (const item of roots) {
      if (excluded.has(item)) continue;
      const fileItem = item.parent ?? item;
      if (!item.parent) {
        await this.listBlocks(item);
        const cases: vscode.TestItem[] = [];
        item.children.forEach((c) => void (excluded.has(c) ? undefined : cases.push(c)));
        byFile.set(item, cases);
      } else byFile.set(fileItem, [...(byFile.get(fileItem) ?? []), item]);
    }
    return byFile;
  }

  private async run(req: vscode.TestRunRequest, token: vscode.CancellationToken, withTraffic: boolean): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    const run = this.controller.createTestRun(req);
    this.last = [];
    try {
      const byFile = await this.requested(req);
      for (const cases of byFile.values()) for (const c of cases) run.enqueued(c);
      if (withTraffic) await vscode.commands.executeCommand(Commands.showTraffic);
      for (const [fileItem, cases] of byFile) {
        if (token.isCancellationRequested) {
          for (const c of cases) this.report(run, c, 'skipped', []);
          continue;
        }
        await this.runFile(run, fileItem, cases, token);
      }
    } finally {
      run.end();
    }
  }

  /** Runs the cases of one file (with what they need) and reports each one's outcome. */
  private async runFile(run: vscode.TestRun, fileItem: vscode.TestItem, cases: readonly vscode.TestItem[], token: vscode.CancellationToken): Promise<void> {
    const uri = fileItem.uri as vscode.Uri;
    const doc = await vscode.workspace.openTextDocument(uri);
    const file = this.parsed.of(doc);
    this.setBlocks(fileItem, file);
    // A load expectation's item (`BLOCK:LINE`) runs its block.
    const wanted = new Set(cases.map((c) => Number(c.id.split(':')[0])));
    const items = new Map<number, vscode.TestItem>();
    fileItem.children.forEach((c) => void (wanted.has(Number(c.id)) && items.set(Number(c.id), c)));
    const selected = selectBlocks(file, (b) => wanted.has(b.index));
    const fixtures = [...selected].filter((i) => isFixture(file.blocks[i - 1]));
    const startedBefore = new Set(fixtures.filter((i) => this.sessions.isListening(uri, i)));
    for (const item of items.values()) {
      run.started(item);
      item.children.forEach((c) => run.started(c));
    }
    const collector = new CaseCollector(file, selected);
    // The transcript goes to the Test Results output, as the CLI prints it.
    const transcript = new Transcript(vscode.workspace.asRelativePath(uri));
    const onEvent = (e: RunEvent): void => {
      collector.onEvent(e);
      const line = e.type === 'traffic' ? undefined : transcript.format(e);
      if (line !== undefined) run.appendOutput(line.replace(/\r?\n/g, '\r\n') + '\r\n', undefined, e.type === 'step' ? items.get(e.block) : undefined);
    };
    const result = await this.sessions.runBlocks(doc, [...selected], { token, onEvent });
    // Leave the file as the run found it before saying how it went: the listeners this run started stop.
    for (const i of fixtures) if (!startedBefore.has(i) && this.sessions.isListening(uri, i)) await this.sessions.stopBlock(uri, i);
    const at = (line: number, column = 0): vscode.Location => new vscode.Location(uri, new vscode.Position(line, column));
    for (const r of collector.results()) {
      const item = items.get(r.block);
      const messages = r.failures.map((f) => message(f, at(f.line, f.column)));
      if (r.kind === 'fixture') {
        // A listener's session failed: no case of its own; the file says so.
        if (messages.length > 0) this.report(run, fileItem, 'failed', messages);
        continue;
      }
      if (!item) continue;
      if (result?.refused.has(r.block)) continue;
      const check = r.check ? item.children.get(`${r.block}:${r.check.line}`) : undefined;
      if (r.check && !check) continue;
      this.report(run, check ?? item, r.status, messages, r.ms);
    }
    for (const [index, line] of result?.refused ?? []) {
      const item = items.get(index);
      if (item) this.report(run, item, 'errored', [located(`line ${line + 1} has an error; see the Problems view`, at(line))]);
    }
    if (!result) for (const item of items.values()) this.report(run, item, 'errored', [new vscode.TestMessage('the file is still running a run of its own; wait for it or cancel it first')]);
  }

  /** Tells the Testing view a case's outcome, and keeps it for {@link SockTests.outcomes}. */
  private report(run: vscode.TestRun, item: vscode.TestItem, state: TestOutcome['state'], messages: vscode.TestMessage[], ms?: number): void {
    if (state === 'passed') run.passed(item, ms);
    else if (state === 'failed') run.failed(item, messages, ms);
    else if (state === 'errored') run.errored(item, messages, ms);
    else run.skipped(item);
    const name = item.parent ? `${item.parent.label} › ${item.label}` : item.label;
    this.last.push({
      name,
      state,
      messages: messages.map((m) => ({
        text: typeof m.message === 'string' ? m.message : m.message.value,
        ...(m.location ? { line: m.location.range.start.line + 1 } : {}),
        ...(m.expectedOutput !== undefined ? { expected: m.expectedOutput, actual: m.actualOutput ?? '' } : {}),
      })),
    });
  }

  /** What the last run reported. */
  outcomes(): readonly TestOutcome[] {
    return this.last;
  }

  /** The files the Testing view lists and the cases it shows under each (listed ones only). */
  items(): { readonly label: string; readonly cases: readonly string[] }[] {
    const out: { label: string; cases: string[] }[] = [];
    this.controller.items.forEach((f) => {
      const cases: string[] = [];
      f.children.forEach((c) => void cases.push(c.label));
      out.push({ label: f.label, cases });
    });
    return out.sort((a, b) => (a.label < b.label ? -1 : 1));
  }

  dispose(): void {
    this.pending.forEach((t) => clearTimeout(t));
    for (const d of this.disposables) d.dispose();
  }
}

function located(text: string, location: vscode.Location): vscode.TestMessage {
  const m = new vscode.TestMessage(text);
  m.location = location;
  return m;
}

/** A failure as a test message at its line: a diff of expected and actual when it has both. */
function message(f: CaseFailure, location: vscode.Location): vscode.TestMessage {
  const m = f.expected !== undefined ? vscode.TestMessage.diff(f.message, f.expected, f.actual ?? '') : new vscode.TestMessage(f.message);
  m.location = location;
  return m;
}
