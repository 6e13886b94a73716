/**
 * The load view (§8.15): a webview panel per `.sock` load block, opened beside the editor when
 * the block's load starts, that draws its throughput and latency as they go (the runner's
 * `load-progress` events) and shows its table when it ends.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { describeLoad, loadTableCells } from '../sock/run/load';
import type { RunEvent } from '../sock/runEvents';
import { caseName } from '../sock/suite/results';
import type { Block } from '../sock/ast';
import { loadViewHtml } from '../webview/loadHtml';
import type { LoadHostMessage, LoadPageMessage } from '../webview/load/protocol';
import { LOAD_VIEW } from './contributions';
import { readSettings } from './settings';

/** What a test can read of a load view. */
export interface LoadViewState {
  readonly title: string;
  readonly ready: boolean;
  /** Progress points posted to the page. */
  readonly points: number;
  readonly done: boolean;
}

/** One block's panel; it lives until its person closes it, and a new run of the block starts it over. */
class LoadPanel {
  ready = false;
  /** What the page has not seen yet because it was not ready (a start and a few points at most). */
  private readonly queue: LoadHostMessage[] = [];
  points = 0;
  done = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly title: string,
    extensionUri: vscode.Uri,
    onDispose: () => void,
  ) {
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    const webview = panel.webview;
    webview.html = loadViewHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'dist', 'loadView.js')).toString(),
      chartStyleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'dist', 'loadView.css')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'loadView.css')).toString(),
    });
    webview.onDidReceiveMessage((m: unknown) => {
      // Only `ready` is expected; anything else is ignored.
      if ((m as LoadPageMessage | undefined)?.type !== 'ready') return;
      this.ready = true;
      for (const q of this.queue.splice(0)) void webview.postMessage(q);
    });
    panel.onDidDispose(onDispose);
  }

  post(m: LoadHostMessage): void {
    if (m.type === 'start') {
      this.points = 0;
      this.done = false;
    } else if (m.type === 'progress') this.points++;
    else this.done = true;
    if (this.ready) void this.panel.webview.postMessage(m);
    else if (m.type !== 'progress' || this.queue.length < 100) this.queue.push(m);
  }
}

/** The load views of every `.sock` document, by `URI#block`. */
export class LoadViews implements vscode.Disposable {
  private readonly panels = new Map<string, LoadPanel>();

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** Reads one run event of `doc` (its blocks as `blocks`), opening or updating a block's view. */
  event(doc: vscode.TextDocument, blocks: readonly Block[], e: RunEvent): void {
    if (e.type === 'block') {
      const block = blocks[e.block - 1];
      // socketLab.load.openView off: no new view, but one the user kept open follows the run.
      if (block?.load && (this.panels.has(key(doc, block.index)) || readSettings().loadOpenView)) this.open(doc, block).post({ type: 'start', title: `${caseName(block)} · ${block.load.source}` });
    } else if (e.type === 'load-progress') {
      this.panels.get(key(doc, e.block))?.post({ type: 'progress', point: e });
    } else if (e.type === 'step' && e.load) {
      const r = e.load;
      this.panels.get(key(doc, e.block))?.post({ type: 'done', summary: describeLoad(r), failed: e.status !== 'ok', sessions: r.sessions, table: loadTableCells(r), errors: Object.entries(r.errors) });
    }
  }

  states(): LoadViewState[] {
    return [...this.panels.values()].map((p) => ({ title: p.title, ready: p.ready, points: p.points, done: p.done }));
  }

  private open(doc: vscode.TextDocument, block: Block): LoadPanel {
    const k = key(doc, block.index);
    const existing = this.panels.get(k);
    if (existing) {
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const title = `Load · ${caseName(block)}`;
    const panel = vscode.window.createWebviewPanel(LOAD_VIEW, title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')] });
    const p = new LoadPanel(panel, title, this.extensionUri, () => this.panels.delete(k));
    this.panels.set(k, p);
    return p;
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    this.panels.clear();
  }
}

function key(doc: vscode.TextDocument, block: number): string {
  return `${doc.uri.toString()}#${block}`;
}
