import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { TrafficBus } from '../net/traffic';
import { hasErrors, parseSock } from '../sock/parser';
import { SockRun } from '../sock/runner';
import { Transcript } from '../sock/transcript';
import { Commands, SOCK_LANGUAGE } from './contributions';

/**
 * "Socket Lab: Run File": runs the active `.sock` file with the shared runner and writes the
 * transcript to the log. Refuses in an untrusted workspace: nothing runs from a file there.
 */
export function registerRunFileCommand(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, bus: TrafficBus): void {
  const running = new Set<SockRun>();
  context.subscriptions.push(
    { dispose: () => running.forEach((r) => void r.stop(0)) },
    vscode.commands.registerCommand(Commands.runFile, async () => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage('Socket Lab does not run .sock files in an untrusted workspace.');
        return;
      }
      const doc = vscode.window.activeTextEditor?.document;
      if (!doc || doc.languageId !== SOCK_LANGUAGE) {
        void vscode.window.showInformationMessage('Open a .sock file to run it.');
        return;
      }
      const parsed = parseSock(doc.getText());
      if (hasErrors(parsed)) {
        void vscode.window.showErrorMessage('The .sock file has errors; see the Problems view.');
        return;
      }
      const name = vscode.workspace.asRelativePath(doc.uri);
      log.show(true);
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Running ${name}`, cancellable: true },
        async (_progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          const transcript = new Transcript(name);
          // The run's sockets report to the extension's bus: they show in the tree and the log.
          const run = new SockRun(parsed, {
            bus,
            baseDir: dirname(doc.uri.fsPath),
            signal: abort.signal,
            onEvent: (e) => {
              // Traffic is in the log already (registerTrafficLog); the transcript adds the steps.
              if (e.type === 'traffic') return;
              const line = transcript.format(e);
              if (line !== undefined) log.info(line.replace(/^\n/, ''));
            },
          });
          running.add(run);
          try {
            await run.run();
            await run.stop();
          } finally {
            running.delete(run);
          }
        },
      );
    }),
  );
}
