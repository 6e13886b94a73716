import * as vscode from 'vscode';
import type { EndpointRegistry } from '../net/registry';
import { Commands } from './contributions';

/** A status-bar item with the count of listeners and open connections; it reveals the tree. */
export function registerStatusBar(context: vscode.ExtensionContext, registry: EndpointRegistry): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('socketLab.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Socket Lab';
  item.command = Commands.revealTree;
  const update = (): void => {
    const { listeners, connections } = registry.counts();
    item.text = `$(plug) ${listeners} listening · ${connections} open`;
    item.tooltip = `Socket Lab: ${listeners} listener${listeners === 1 ? '' : 's'}, ${connections} open connection${connections === 1 ? '' : 's'}. Click to show them.`;
    if (listeners + connections > 0) item.show();
    else item.hide();
  };
  // Counts change with every byte under a flood: recount at most every 250 ms.
  let timer: NodeJS.Timeout | undefined;
  const unsubscribe = registry.onDidChange(() => {
    timer ??= setTimeout(() => {
      timer = undefined;
      update();
    }, 250);
  });
  update();
  context.subscriptions.push(item, { dispose: () => (clearTimeout(timer), unsubscribe()) });
  return item;
}
