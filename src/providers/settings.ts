import * as vscode from 'vscode';
import { DEFAULT_SETTINGS, type Settings } from './contributions';

/** Reads the `socketLab.*` settings, falling back to the defaults. Read on use, so changes apply at once. */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('socketLab');
  return {
    defaultBindHost: c.get<string>('defaultBindHost', DEFAULT_SETTINGS.defaultBindHost),
    timeoutMs: c.get<number>('timeoutMs', DEFAULT_SETTINGS.timeoutMs),
    maxConnections: c.get<number>('maxConnections', DEFAULT_SETTINGS.maxConnections),
    previewBytes: c.get<number>('previewBytes', DEFAULT_SETTINGS.previewBytes),
    previewEncoding: c.get<Settings['previewEncoding']>('previewEncoding', DEFAULT_SETTINGS.previewEncoding),
    treeRefreshMs: c.get<number>('treeRefreshMs', DEFAULT_SETTINGS.treeRefreshMs),
    captureMaxEvents: c.get<number>('capture.maxEvents', DEFAULT_SETTINGS.captureMaxEvents),
    captureMaxBytes: c.get<number>('capture.maxBytes', DEFAULT_SETTINGS.captureMaxBytes),
  };
}
