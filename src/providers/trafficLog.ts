import * as vscode from 'vscode';
import type { TrafficBus } from '../net/traffic';
import { formatTrafficLine } from '../sock/transcript';
import { readSettings } from './settings';

/** Writes every traffic event of the bus to the log as a readable line; marks are the steps' reading, not traffic, and stay out. */
export function registerTrafficLog(context: vscode.ExtensionContext, bus: TrafficBus, log: vscode.LogOutputChannel): void {
  // Read once and on change, not per event: a flood logs thousands of events a second.
  let settings = readSettings();
  const onConfig = vscode.workspace.onDidChangeConfiguration((c) => {
    if (c.affectsConfiguration('socketLab')) settings = readSettings();
  });
  const unsubscribe = bus.subscribe((e) => {
    if (e.type === 'mark') return;
    const line = formatTrafficLine(e, settings.previewBytes, settings.previewEncoding);
    if (e.type === 'error') log.error(line);
    else log.info(line);
  });
  context.subscriptions.push(onConfig, { dispose: unsubscribe });
}
