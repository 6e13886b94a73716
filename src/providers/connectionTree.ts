import * as vscode from 'vscode';
import { endpointLabel, type EndpointRecord, type EndpointRegistry } from '../net/registry';
import { byteCount } from '../net/payload';
import { Commands, CONNECTIONS_VIEW } from './contributions';
import type { RuleHits } from './sockLanguage';
import { readSettings } from './settings';

const STATE_ICONS: Record<EndpointRecord['state'], { icon: string; color?: string }> = {
  listening: { icon: 'radio-tower', color: 'charts.green' },
  open: { icon: 'plug', color: 'charts.green' },
  'half-closed': { icon: 'debug-pause', color: 'charts.yellow' },
  closed: { icon: 'circle-slash', color: 'disabledForeground' },
  error: { icon: 'error', color: 'errorForeground' },
};

/** A byte count that fits a narrow sidebar: `18 B`, `4.2 KiB`, `1.5 MiB`, `2.0 GiB`. */
export function shortBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** How a record reads in the tree: label, description, tooltip, icon and context value. */
export function describeRecord(r: EndpointRecord): { label: string; description: string; tooltip: string; contextValue: string } {
  const label = endpointLabel(r);
  const counters = `↓${shortBytes(r.bytesIn)} ↑${shortBytes(r.bytesOut)}`;
  // A UDP listener accepts nothing: it counts the peers it has received from (listed under it).
  const seen = r.transport === 'udp' ? `${r.accepted} peer${r.accepted === 1 ? '' : 's'}` : `${r.accepted} accepted`;
  const extra = r.kind === 'listener' ? ` · ${seen}${r.dropped ? `, ${r.dropped} turned away` : ''}` : '';
  const tls = r.tls ? ` · ${r.tls.protocol}${r.tls.verified ? '' : ' NOT VERIFIED'}` : '';
  // The icon says listening and open (a UDP peer: an address the listener can reply to); the
  // description names only the states that need a word, so the counters fit a narrow sidebar.
  const state = r.state === 'listening' || r.state === 'open' ? '' : `${r.state} · `;
  const description = `${r.via ? 'upstream · ' : ''}${state}${counters}${extra}${tls}`;
  const tooltip = [`${r.id}: ${r.via ? `relay upstream of ${r.via}` : r.kind} ${r.transport}`, `local ${r.local}`, r.remote ? `remote ${r.remote}` : '', `state ${r.state}${r.error ? ` (${r.error})` : ''}`, `received ${byteCount(r.bytesIn)}, sent ${byteCount(r.bytesOut)}`].filter(Boolean).join('\n');
  const open = r.state === 'listening' || r.state === 'open' || r.state === 'half-closed';
  return { label, description, tooltip, contextValue: `${r.kind}${open ? '.open' : '.closed'}` };
}

/** The id prefix of a responder rule's tree item: `rule:LISTENER:LINE`. */
const RULE = 'rule:';
/** The id of the group that holds closed listeners and clients, so they do not pile up among the open ones. */
export const CLOSED_GROUP = 'group:closed';

function isClosed(r: EndpointRecord): boolean {
  return r.state === 'closed' || r.state === 'error';
}

/** The sidebar tree: listeners with their responder rules and accepted connections as children (a relayed one with its upstream leg under it), and clients. */
export class ConnectionTreeProvider implements vscode.TreeDataProvider<string> {
  private readonly emitter = new vscode.EventEmitter<string | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  /** A running listener's responder rules, listed first under it; set once the `.sock` runs exist. */
  rules: RuleHits = () => undefined;

  constructor(private readonly registry: EndpointRegistry) {
    // A flood of traffic changes the counters thousands of times a second: refresh at most
    // every treeRefreshMs.
    this.unsubscribe = registry.onDidChange(() => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.emitter.fire(undefined);
      }, readSettings().treeRefreshMs);
    });
  }

  /** Fires the tree's refresh at once (a listener's rules were reloaded). */
  refresh(): void {
    this.emitter.fire(undefined);
  }

  getChildren(element?: string): string[] {
    if (element?.startsWith(RULE)) return [];
    const roots = (): EndpointRecord[] => this.registry.all().filter((r) => this.registry.parentOf(r.id) === undefined);
    if (element === CLOSED_GROUP) return roots().filter(isClosed).map((r) => r.id);
    if (element) return [...(this.rules(element)?.map((r) => `${RULE}${element}:${r.line}`) ?? []), ...this.registry.childrenOf(element).map((r) => r.id)];
    const all = roots();
    const closed = all.filter(isClosed).length;
    return [...all.filter((r) => !isClosed(r)).map((r) => r.id), ...(closed > 0 ? [CLOSED_GROUP] : [])];
  }

  getTreeItem(id: string): vscode.TreeItem {
    if (id.startsWith(RULE)) return this.ruleItem(id);
    if (id === CLOSED_GROUP) return this.closedGroupItem();
    const r = this.registry.get(id);
    if (!r) return new vscode.TreeItem(id);
    const d = describeRecord(r);
    const hasChildren = (r.kind === 'listener' || r.kind === 'accepted') && this.getChildren(id).length > 0;
    const item = new vscode.TreeItem(d.label, hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    // VS Code keeps a row's expansion by its id: a listener whose first connection arrives gets a
    // new one, so it opens (a person who collapses it later keeps it collapsed).
    item.id = hasChildren ? `${id}/` : id;
    // Enter or a click shows the row's traffic.
    item.command = { command: Commands.showTraffic, title: 'Show Traffic', arguments: [id] };
    item.description = d.description;
    // A screen reader hears the state the icon shows.
    item.accessibilityInformation = { label: `${d.label}, ${r.state}, ${d.description}` };
    item.tooltip = d.tooltip;
    item.contextValue = d.contextValue;
    const icon = STATE_ICONS[r.state];
    item.iconPath = new vscode.ThemeIcon(r.kind === 'listener' && r.state === 'listening' ? 'radio-tower' : r.kind === 'peer' && r.state === 'open' ? 'arrow-swap' : icon.icon, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    return item;
  }

  getParent(id: string): string | undefined {
    if (id.startsWith(RULE)) return id.slice(RULE.length, id.lastIndexOf(':'));
    if (id === CLOSED_GROUP) return undefined;
    const parent = this.registry.parentOf(id);
    if (parent !== undefined) return parent;
    const r = this.registry.get(id);
    return r && isClosed(r) ? CLOSED_GROUP : undefined;
  }

  /** Closed listeners and clients, collapsed at the bottom; Clear Closed empties it. */
  private closedGroupItem(): vscode.TreeItem {
    const n = this.getChildren(CLOSED_GROUP).length;
    const item = new vscode.TreeItem(`Closed (${n})`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = CLOSED_GROUP;
    item.tooltip = `${n} closed listener${n === 1 ? '' : 's'} and client${n === 1 ? '' : 's'}; Clear Closed removes them`;
    item.contextValue = 'closedGroup';
    item.iconPath = new vscode.ThemeIcon('history');
    return item;
  }

  /** A responder rule under its listener: its `on` line, and how often it answered. */
  private ruleItem(id: string): vscode.TreeItem {
    const listener = id.slice(RULE.length, id.lastIndexOf(':'));
    const line = Number(id.slice(id.lastIndexOf(':') + 1));
    const rule = this.rules(listener)?.find((r) => r.line === line);
    const item = new vscode.TreeItem(rule?.source ?? 'rule', vscode.TreeItemCollapsibleState.None);
    item.id = id;
    item.description = rule ? `${rule.hits} hit${rule.hits === 1 ? '' : 's'}` : 'reloaded';
    item.tooltip = rule ? `responder rule on line ${line + 1}: answered ${rule.hits} message${rule.hits === 1 ? '' : 's'} (or connects, FINs) since the run began` : '';
    item.contextValue = 'rule';
    item.iconPath = new vscode.ThemeIcon('symbol-event');
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.unsubscribe();
    this.emitter.dispose();
  }
}

/** A tree node as the tree shows it, for the integration tests. */
export interface TreeSnapshotNode {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly contextValue: string;
  readonly children: readonly TreeSnapshotNode[];
}

/** Registers the tree view; returns it, and a snapshot of what it shows. */
export function registerConnectionTree(context: vscode.ExtensionContext, registry: EndpointRegistry): { view: vscode.TreeView<string>; snapshot: () => TreeSnapshotNode[]; provider: ConnectionTreeProvider } {
  const provider = new ConnectionTreeProvider(registry);
  const view = vscode.window.createTreeView(CONNECTIONS_VIEW, { treeDataProvider: provider });
  context.subscriptions.push(provider, view);
  const node = (id: string): TreeSnapshotNode => {
    const item = provider.getTreeItem(id);
    return { id, label: String(item.label), description: String(item.description ?? ''), contextValue: item.contextValue ?? '', children: provider.getChildren(id).map(node) };
  };
  return { view, snapshot: () => provider.getChildren().map(node), provider };
}
