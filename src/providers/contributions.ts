/** Command ids, view ids and setting keys, in one typed place (they must match package.json). */
export const Commands = {
  runFile: 'socketLab.runFile',
  runBlock: 'socketLab.runBlock',
  runBlockAtCursor: 'socketLab.runBlockAtCursor',
  stopBlock: 'socketLab.stopBlock',
  startTcpListener: 'socketLab.startTcpListener',
  startUdpListener: 'socketLab.startUdpListener',
  startUnixListener: 'socketLab.startUnixListener',
  connectTcp: 'socketLab.connectTcp',
  connectUdp: 'socketLab.connectUdp',
  connectUnix: 'socketLab.connectUnix',
  connectTls: 'socketLab.connectTls',
  send: 'socketLab.send',
  sendToAll: 'socketLab.sendToAll',
  close: 'socketLab.close',
  stopAll: 'socketLab.stopAll',
  clearClosed: 'socketLab.clearClosed',
  copyAddress: 'socketLab.copyAddress',
  showLog: 'socketLab.showLog',
  showTraffic: 'socketLab.showTraffic',
  exportTraffic: 'socketLab.exportTraffic',
  revealTree: 'socketLab.revealTree',
  lookupHost: 'socketLab.lookupHost',
  lookupService: 'socketLab.lookupService',
  convertAddress: 'socketLab.convertAddress',
  newScratchFile: 'socketLab.newScratchFile',
  chooseEnvironment: 'socketLab.chooseEnvironment',
  exportBlock: 'socketLab.exportBlock',
  copyAsPython: 'socketLab.copyAsPython',
  copyAsNode: 'socketLab.copyAsNode',
  openAsPython: 'socketLab.openAsPython',
  openAsNode: 'socketLab.openAsNode',
} as const;

/** The id of the connection tree view. */
export const CONNECTIONS_VIEW = 'socketLab.connections';

/** The view type of the traffic view's webview panel. */
export const TRAFFIC_VIEW = 'socketLab.traffic';
/** The load view's webview panels (§8.15). */
export const LOAD_VIEW = 'socketLab.loadView';

/** The language id of `.sock` scratch files. */
export const SOCK_LANGUAGE = 'sock';

/** Setting keys under `socketLab.` and their types. */
export interface Settings {
  readonly defaultBindHost: string;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly previewBytes: number;
  /** How the log shows payload text: escaped bytes, or decoded as UTF-8 or Latin-1. */
  readonly previewEncoding: 'escaped' | 'utf8' | 'latin1';
  readonly treeRefreshMs: number;
  /** The traffic history's bounds (the traffic view shows it). */
  readonly captureMaxEvents: number;
  readonly captureMaxBytes: number;
  /** Connections a palette listener accepted stay half-open when the peer half-closes (else they close, as nc's do). */
  readonly keepHalfOpen: boolean;
  /** A load block's run opens its load view beside the editor (one already open is updated either way). */
  readonly loadOpenView: boolean;
}

/** Each setting's key under `socketLab.`, where it differs from its field name. */
export const SETTING_KEYS: { readonly [K in keyof Settings]: string } = {
  defaultBindHost: 'defaultBindHost',
  timeoutMs: 'timeoutMs',
  maxConnections: 'maxConnections',
  previewBytes: 'previewBytes',
  previewEncoding: 'previewEncoding',
  treeRefreshMs: 'treeRefreshMs',
  captureMaxEvents: 'capture.maxEvents',
  captureMaxBytes: 'capture.maxBytes',
  keepHalfOpen: 'keepHalfOpen',
  loadOpenView: 'load.openView',
};

/** The defaults, also declared in package.json. */
export const DEFAULT_SETTINGS: Settings = {
  defaultBindHost: '127.0.0.1',
  timeoutMs: 5000,
  maxConnections: 100,
  previewBytes: 80,
  previewEncoding: 'escaped',
  treeRefreshMs: 250,
  captureMaxEvents: 10_000,
  captureMaxBytes: 16 * 1024 * 1024,
  keepHalfOpen: false,
  loadOpenView: true,
};
