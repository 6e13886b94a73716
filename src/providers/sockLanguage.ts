import type * as vscode from 'vscode';
import type { TrafficBus } from '../net/traffic';
import { registerDiagnostics } from './diagnostics';
import { registerHovers } from './hoverProvider';
import { registerLanguageFeatures } from './languageFeatures';
import { registerSockRuns } from './sockSessions';

/** Everything the editor does for `.sock` files: diagnostics, hovers, outline, completion, CodeLens runs. */
export function registerSockLanguage(context: vscode.ExtensionContext, bus: TrafficBus, log: vscode.LogOutputChannel): (uri: vscode.Uri) => Map<number, string> {
  registerDiagnostics(context);
  registerHovers(context);
  registerLanguageFeatures(context);
  const sessions = registerSockRuns(context, bus, log);
  return (uri) => sessions.results.shown(uri);
}
