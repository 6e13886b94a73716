import * as vscode from 'vscode';
import type { TrafficBus } from '../net/traffic';
import { formatTrafficLine } from '../sock/transcript';
import { readSettings } from './settings';

/** Writes every traffic event of the bus to the log as a readable line. */
export function registerTrafficLog(context: vscode.ExtensionContext, bus: TrafficBus, log: vscode.LogOutputChannel): void {
  const unsubscribe = bus.subscribe((e) => {
    const settings = readSettings();
    const line = formatTrafficLine(e, settings.previewBytes, settings.previewEncoding);
    if (e.type === 'error') log.error(line);
    else log.info(line);
  });
  context.subscriptions.push({ dispose: unsubscribe });
}
