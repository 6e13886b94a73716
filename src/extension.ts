import * as vscode from 'vscode';
import { registerDiagnostics } from './providers/diagnostics';
import { registerRunFileCommand } from './providers/runFileCommand';

/** What `activate()` returns: observable state for the integration tests. */
export interface SocketLabApi {
  readonly version: string;
}

/** Activation opens no socket: it registers the commands and language features only. */
export function activate(context: vscode.ExtensionContext): SocketLabApi {
  const log = vscode.window.createOutputChannel('Socket Lab', { log: true });
  context.subscriptions.push(log);
  registerDiagnostics(context);
  registerRunFileCommand(context, log);
  return { version: String(context.extension.packageJSON.version) };
}

/** Every socket is owned by a run whose disposable is in the subscriptions. */
export function deactivate(): void {}
