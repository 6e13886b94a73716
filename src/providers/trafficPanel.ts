import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { captureLine, type TrafficCapture } from '../net/capture';
import type { SocketManager } from '../net/manager';
import { toPcapng } from '../net/pcapng';
import { parsePayloadInput } from '../net/payloadInput';
import type { EndpointRegistry } from '../net/registry';
import type { TrafficBus, TrafficEvent } from '../net/traffic';
import { mockFile, replayFile } from '../sock/replay';
import { Batcher } from '../webview/batcher';
import { trafficViewHtml } from '../webview/html';
import { eventsText, parsePageMessage, VIEW_PAYLOAD_MAX, type ExportFormat, type HostMessage } from '../webview/protocol';
import { toWireConnection, toWireEvent } from '../webview/toWire';
import { Commands, SOCK_LANGUAGE, TRAFFIC_VIEW } from './contributions';

/** What the traffic view works with. */
export interface TrafficPanelDeps {
  readonly bus: TrafficBus;
  readonly capture: TrafficCapture;
  readonly registry: EndpointRegistry;
  readonly manager: SocketManager;
  readonly log: vscode.LogOutputChannel;
}

/** The page gets a batch of events at most this often (ms), of at most so many events and payload bytes. */
const BATCH_MS = 50;
const BATCH_EVENTS = 20_000;
const BATCH_BYTES = 4 * 1024 * 1024;
/** Connection list updates at most this often (ms): a flood of accepts must not flood the page. */
const CONNECTIONS_MS = 250;

/** What a test can read of the open traffic view. */
export interface TrafficViewState {
  readonly open: boolean;
  readonly ready: boolean;
  /** Events posted to the page since it said ready. */
  readonly posted: number;
  readonly focus: string | null;
}

/**
 * The traffic view: one webview panel with a connection filter ("Show Traffic" on a tree item
 * focuses it on that item). The page says `ready`, gets the bounded history, then live events in
 * batches; what it posts back is validated before anything acts on it.
 */
class TrafficPanel implements vscode.Disposable {
  private ready = false;
  private seq = 0;
  private posted = 0;
  /**
   * Events go to the page in batches at most every 50 ms: at most 20,000 events and 4 MiB of
   * payload per batch (a flood beyond that is counted and shown as dropped in the view; the
   * capture keeps it for export). Events are turned into wire form only when a batch goes.
   */
  private readonly batcher = new Batcher<[TrafficEvent, number]>(
    (items, dropped) => {
      if (!this.ready) return;
      this.posted += items.length;
      void this.post({ type: 'events', events: eventsText(items.map(([e, seq]) => toWireEvent(e, seq))), dropped });
    },
    BATCH_MS,
    BATCH_EVENTS,
    BATCH_BYTES,
    ([e]) => (e.type === 'data' ? Math.min(e.payload.length, VIEW_PAYLOAD_MAX) : 0),
  );
  private connectionsTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly deps: TrafficPanelDeps,
    private focus: string | null,
    private readonly onDispose: () => void,
  ) {
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    panel.webview.options = { enableScripts: true, localResourceRoots: [media] };
    panel.iconPath = vscode.Uri.joinPath(media, 'socket-lab.svg');
    panel.webview.html = this.html();
    const unsubscribe = deps.bus.subscribe((e) => this.onEvent(e));
    const unwatch = deps.registry.onDidChange(() => this.scheduleConnections());
    this.disposables.push(
      { dispose: unsubscribe },
      { dispose: unwatch },
      panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      // A hidden panel's page is gone (no retainContextWhenHidden): it says ready again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  state(): TrafficViewState {
    return { open: true, ready: this.ready, posted: this.posted, focus: this.focus };
  }

  /** Shows the panel, filtered to one listener or connection, or to all (`null`). */
  reveal(focus: string | null): void {
    this.focus = focus;
    this.panel.reveal(undefined, false);
    if (this.ready) void this.post({ type: 'focus', focus });
  }

  private html(): string {
    const webview = this.panel.webview;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    return trafficViewHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'dist', 'trafficView.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'trafficView.css')).toString(),
    });
  }

  private post(message: HostMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(message);
  }

  private connections(): ReturnType<typeof toWireConnection>[] {
    return this.deps.registry.all().map((r) => toWireConnection(r, this.deps.manager.canSend(r.id)));
  }

  private onEvent(e: TrafficEvent): void {
    if (!this.ready) return; // the page gets the history from the capture when it says ready
    this.batcher.push([e, ++this.seq]);
  }

  private scheduleConnections(): void {
    if (!this.ready || this.connectionsTimer) return;
    this.connectionsTimer = setTimeout(() => {
      this.connectionsTimer = undefined;
      if (this.ready) void this.post({ type: 'connections', connections: this.connections() });
    }, CONNECTIONS_MS);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m = parsePageMessage(raw);
    if (!m) {
      this.deps.log.warn('[traffic view] ignored a malformed message from the page');
      return;
    }
    switch (m.type) {
      case 'ready': {
        const history = this.deps.capture.events().map((e) => toWireEvent(e, ++this.seq));
        this.batcher.clear();
        this.ready = true;
        this.posted = history.length;
        await this.post({ type: 'init', events: eventsText(history), connections: this.connections(), dropped: this.deps.capture.droppedEvents, focus: this.focus });
        return;
      }
      case 'send': {
        const bytes = parsePayloadInput(m.payload);
        if (typeof bytes === 'string') {
          await this.post({ type: 'sendResult', ok: false, message: bytes });
          return;
        }
        try {
          await this.deps.manager.send(m.connection, bytes);
          await this.post({ type: 'sendResult', ok: true, message: `Sent ${bytes.length} byte${bytes.length === 1 ? '' : 's'} to ${m.connection}` });
        } catch (err) {
          await this.post({ type: 'sendResult', ok: false, message: err instanceof Error ? err.message : String(err) });
        }
        return;
      }
      case 'export':
        await exportCapture(this.deps, m.format, m.connection);
        return;
    }
  }

  dispose(): void {
    this.batcher.clear();
    clearTimeout(this.connectionsTimer);
    this.ready = false;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    this.onDispose();
  }
}

/** The capture's events of one listener (with its accepted connections and their relay legs) or connection (with its relay leg), or all. */
export function eventsOf(events: readonly TrafficEvent[], connection: string | null): TrafficEvent[] {
  if (connection === null) return [...events];
  const colon = connection.indexOf(':');
  if (colon > 0) {
    // A UDP listener's peer (`u9:127.0.0.1:40312`): the listener's events, and its datagrams with that peer.
    const listener = connection.slice(0, colon);
    const peer = connection.slice(colon + 1);
    return events.filter((e) => e.id === listener && (e.type !== 'data' || e.peer === peer));
  }
  const ids = new Set([connection]);
  // In order: a listener's accepted connections, then a relay's upstream legs of those (events come as they happened).
  for (const e of events) if (e.type === 'open' && (e.listener === connection || (e.via !== undefined && ids.has(e.via)))) ids.add(e.id);
  return events.filter((e) => ids.has(e.id));
}

const FORMATS: Record<ExportFormat, { label: string; detail: string; ext: string; filter: string }> = {
  jsonl: { label: 'JSON Lines', detail: 'every event, payloads as base64: for scripts and jq', ext: 'jsonl', filter: 'JSON Lines' },
  sock: { label: '.sock Replay', detail: 'a block that sends what the client sent and expects what came back', ext: 'sock', filter: 'Socket Lab' },
  mock: { label: '.sock Mock', detail: 'a responder that answers like the server did, and the replay that checks it', ext: 'sock', filter: 'Socket Lab' },
  pcapng: { label: 'pcapng', detail: 'for Wireshark and tshark (synthesized Ethernet/IP/TCP or UDP headers)', ext: 'pcapng', filter: 'pcapng' },
};

/** Renders the events in a format: the file's bytes and what they hold, for the message. */
function render(format: ExportFormat, events: readonly TrafficEvent[]): { bytes: Buffer; what: string } {
  switch (format) {
    case 'jsonl':
      return { bytes: Buffer.from(events.map(captureLine).join('')), what: `${events.length} events` };
    case 'sock': {
      const r = replayFile(events);
      return { bytes: Buffer.from(r.text), what: `${r.blocks} replay block${r.blocks === 1 ? '' : 's'}` };
    }
    case 'mock': {
      const m = mockFile(events);
      if (m.mocks === 0) throw new Error('the capture holds no connection to mock');
      return { bytes: Buffer.from(m.text), what: `${m.mocks} mock block${m.mocks === 1 ? '' : 's'} and ${m.replays} replay${m.replays === 1 ? '' : 's'}` };
    }
    case 'pcapng': {
      const out = toPcapng(events);
      if (out.packets === 0) throw new Error(`none of the ${events.length} events is an IP flow (Unix socket traffic has no pcapng form)`);
      return { bytes: out.bytes, what: `${out.packets} packets${out.skipped > 0 ? ` (${out.skipped} events without an IP flow skipped)` : ''}` };
    }
  }
}

/**
 * Exports the capture of one listener (with its connections) or connection, or of all: to
 * `target` when given (tests, keybindings), else to a file the user picks; a `.sock` replay
 * without a target opens as a new editor so it can be run and saved.
 *
 * @returns the file written, or undefined when nothing was (cancelled, nothing to export, failed)
 */
async function exportCapture(deps: TrafficPanelDeps, format: ExportFormat, connection: string | null, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const events = eventsOf(deps.capture.events(), connection);
  const scope = connection ?? 'all connections';
  if (events.length === 0) {
    void vscode.window.showInformationMessage(`Socket Lab: the capture has no events of ${scope} to export.`);
    return undefined;
  }
  try {
    const out = render(format, events);
    if ((format === 'sock' || format === 'mock') && !target) {
      // A new untitled editor named for what it holds (replay-c2.sock), not after its first line.
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri.path ?? '';
      const stem = `${format === 'mock' ? 'mock' : 'replay'}-${connection ?? 'capture'}`;
      let uri = vscode.Uri.from({ scheme: 'untitled', path: `${folder}/${stem}.sock` });
      for (let n = 2; vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString()); n++) uri = vscode.Uri.from({ scheme: 'untitled', path: `${folder}/${stem}-${n}.sock` });
      const doc = await vscode.languages.setTextDocumentLanguage(await vscode.workspace.openTextDocument(uri), SOCK_LANGUAGE);
      const editor = await vscode.window.showTextDocument(doc, { preview: false });
      await editor.edit((b) => b.insert(new vscode.Position(0, 0), out.bytes.toString('utf8')));
      return undefined;
    }
    const f = FORMATS[format];
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `socket-lab-${connection ?? 'capture'}.${f.ext}`;
    const uri = target ?? (await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters: { [f.filter]: [f.ext] }, saveLabel: 'Export', title: `Export ${scope} as ${f.label}` }));
    if (!uri) return undefined;
    await writeFile(uri.fsPath, out.bytes);
    void vscode.window.setStatusBarMessage(`Socket Lab: exported ${out.what} to ${vscode.workspace.asRelativePath(uri)}`, 5000);
    return uri;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.log.error(`[traffic view] export failed: ${message}`);
    void vscode.window.showErrorMessage(`Socket Lab: export failed: ${message}`);
    return undefined;
  }
}

/**
 * Registers the traffic view: the Show Traffic command (palette, tree, `.sock` editor title) and
 * the serializer that brings the panel back after a window reload.
 *
 * @returns what a test can read of the view
 */
export function registerTrafficPanel(context: vscode.ExtensionContext, deps: TrafficPanelDeps): () => TrafficViewState {
  let current: TrafficPanel | undefined;
  const open = (panel: vscode.WebviewPanel, focus: string | null): TrafficPanel => {
    current = new TrafficPanel(panel, context.extensionUri, deps, focus, () => (current = undefined));
    return current;
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(Commands.showTraffic, (target?: unknown) => {
      const focus = typeof target === 'string' && deps.registry.get(target) ? target : null;
      if (current) current.reveal(focus);
      else open(vscode.window.createWebviewPanel(TRAFFIC_VIEW, 'Socket Lab Traffic', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'media')] }), focus);
    }),
    vscode.commands.registerCommand(Commands.exportTraffic, async (format?: unknown, connection?: unknown, target?: unknown) => {
      let f = typeof format === 'string' && format in FORMATS ? (format as ExportFormat) : undefined;
      f ??= (await vscode.window.showQuickPick(
        Object.entries(FORMATS).map(([id, v]) => ({ label: v.label, detail: v.detail, id: id as ExportFormat })),
        { title: 'Export the traffic capture', placeHolder: 'Choose a format' },
      ))?.id;
      if (!f) return undefined;
      const id = typeof connection === 'string' && connection !== '' ? connection : null;
      const uri = typeof target === 'string' ? vscode.Uri.file(target) : target instanceof vscode.Uri ? target : undefined;
      return (await exportCapture(deps, f, id, uri))?.fsPath;
    }),
    vscode.window.registerWebviewPanelSerializer(TRAFFIC_VIEW, {
      deserializeWebviewPanel: async (panel) => {
        current?.dispose();
        open(panel, null);
      },
    }),
    { dispose: () => current?.dispose() },
  );
  return () => current?.state() ?? { open: false, ready: false, posted: 0, focus: null };
}
