import * as vscode from 'vscode';
import { SocketManager } from './net/manager';
import { SocketOwner } from './net/owner';
import { EndpointRegistry, type EndpointRecord } from './net/registry';
import { TrafficBus } from './net/traffic';
import { registerConnectionTree, type TreeSnapshotNode } from './providers/connectionTree';
import { registerLookupCommands } from './providers/lookupCommands';
import { readSettings } from './providers/settings';
import { registerSocketCommands } from './providers/socketCommands';
import { registerSockLanguage } from './providers/sockLanguage';
import { registerStatusBar } from './providers/statusBar';
import { registerTrafficHistory, type CaptureStats } from './providers/trafficHistory';
import { registerTrafficLog } from './providers/trafficLog';
import { registerTrafficPanel, type TrafficViewState } from './providers/trafficPanel';
import type { LoadViewState } from './providers/loadView';
import type { TestOutcome } from './providers/sockTests';

/** What `activate()` returns: read-only views of the state, for the integration tests. */
export interface SocketLabApi {
  readonly version: string;
  /** Every listener, client and accepted connection the registry holds. */
  endpoints(): EndpointRecord[];
  /** What the connection tree shows: labels, descriptions and children. */
  tree(): TreeSnapshotNode[];
  /** The bounded traffic history: what it holds and what it dropped. */
  capture(): CaptureStats;
  /** The run results shown at the end of the lines of a `.sock` document, by line. */
  inlineResults(uri: vscode.Uri): Map<number, string>;
  /** How many times a `.sock` document has been parsed (once per version, whatever asks). */
  parses(uri: vscode.Uri): number;
  /** Whether the traffic view is open, its page ready, and how many events it was sent. */
  trafficView(): TrafficViewState;
  /** The Testing view's files and their cases. */
  testItems(): { readonly label: string; readonly cases: readonly string[] }[];
  /** What the Testing view's last run reported, case by case. */
  testOutcomes(): readonly TestOutcome[];
  /** The Testing view's run profiles (none in an untrusted workspace). */
  testProfiles(): string[];
  /** The load blocks' live views: their titles, whether their page is ready, the points posted, whether the load ended. */
  loadViews(): LoadViewState[];
}

let manager: SocketManager | undefined;
/** The one owner of every socket: the palette's manager and every `.sock` run register with it. */
let owner: SocketOwner | undefined;

/** Activation opens no socket: it creates the bus, the registry and the views, and registers commands. */
export function activate(context: vscode.ExtensionContext): SocketLabApi {
  const log = vscode.window.createOutputChannel('Socket Lab', { log: true });
  const bus = new TrafficBus();
  const registry = new EndpointRegistry(bus);
  manager = new SocketManager(bus, () => readSettings());
  owner = new SocketOwner();
  owner.register(manager);
  context.subscriptions.push(log, { dispose: () => registry.dispose() });
  registerTrafficLog(context, bus, log);
  const history = registerTrafficHistory(context, bus);
  const tree = registerConnectionTree(context, registry);
  registerStatusBar(context, registry);
  registerSocketCommands(context, { manager, owner, registry, log, tree: tree.view });
  registerLookupCommands(context, log);
  const trafficView = registerTrafficPanel(context, { bus, capture: history.capture, registry, manager, log });
  const sock = registerSockLanguage(context, bus, log, owner);
  // The tree lists a running responder's rules with their hits; a reload refreshes them at once.
  tree.provider.rules = sock.rulesOf;
  context.subscriptions.push(sock.onDidChange(() => tree.provider.refresh()));
  return { version: String(context.extension.packageJSON.version), endpoints: () => registry.all(), tree: tree.snapshot, capture: history.stats, inlineResults: sock.inlineResults, parses: sock.parses, trafficView, testItems: () => sock.tests.items(), testOutcomes: () => sock.tests.outcomes(), testProfiles: () => sock.tests.profileLabels(), loadViews: sock.loadViews };
}

/**
 * Closes every socket and timer, palette and `.sock` runs alike, and removes the Unix socket
 * files the listeners made.
 */
export async function deactivate(): Promise<void> {
  await owner?.dispose();
  await manager?.dispose();
  owner = undefined;
  manager = undefined;
}
