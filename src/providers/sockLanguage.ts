import { registerExportCommands } from './exportCommands';
import type * as vscode from 'vscode';
import type { SocketOwner } from '../net/owner';
import type { TrafficBus } from '../net/traffic';
import { LoadViews, type LoadViewState } from './loadView';
import { registerDiagnostics } from './diagnostics';
import { ActiveEnvironment } from './environments';
import { registerHovers } from './hoverProvider';
import { registerLanguageFeatures } from './languageFeatures';
import { ParsedDocuments } from './parsedDocuments';
import { registerQuickFixes } from './quickFixes';
import { registerSockRuns } from './sockSessions';
import { SockTests } from './sockTests';

/** What the integration tests read of the `.sock` language's state. */
/** A running listener's responder rules (their `on` line, its 0-based line number) and how often each answered. */
export type RuleHits = (listenerId: string) => readonly { readonly source: string; readonly line: number; readonly hits: number }[] | undefined;

export interface SockLanguageState {
  /** The run results shown at the end of the lines of a document, by line. */
  readonly inlineResults: (uri: vscode.Uri) => Map<number, string>;
  /** How many times a document has been parsed. */
  readonly parses: (uri: vscode.Uri) => number;
  /** A running listener's responder rules and their hits, for the tree. */
  readonly rulesOf: RuleHits;
  /** Fires when a listener block starts, stops or reloads. */
  readonly onDidChange: vscode.Event<void>;
  /** The Testing view's files and cases, and what its last run reported. */
  readonly tests: Pick<SockTests, 'items' | 'outcomes' | 'profileLabels'>;
  /** The load blocks' live views. */
  readonly loadViews: () => LoadViewState[];
}

/**
 * Everything the editor does for `.sock` files: diagnostics and their quick fixes, hovers, outline,
 * completion, CodeLens runs; all read one parse per document version.
 */
export function registerSockLanguage(context: vscode.ExtensionContext, bus: TrafficBus, log: vscode.LogOutputChannel, owner: SocketOwner): SockLanguageState {
  const env = new ActiveEnvironment(context.workspaceState, log);
  const parsed = new ParsedDocuments(() => env.names());
  context.subscriptions.push(env, parsed, env.onDidChange(() => parsed.invalidate()));
  void env.load();
  registerDiagnostics(context, parsed);
  registerHovers(context, parsed, env);
  registerLanguageFeatures(context, parsed);
  registerQuickFixes(context, parsed);
  registerExportCommands(context, parsed);
  const loads = new LoadViews(context.extensionUri);
  context.subscriptions.push(loads);
  const sessions = registerSockRuns(context, bus, log, parsed, owner, env.variables, loads);
  const tests = new SockTests(sessions, parsed);
  context.subscriptions.push(tests);
  return { inlineResults: (uri) => sessions.results.shown(uri), parses: (uri) => parsed.parses(uri), rulesOf: (id) => sessions.rulesOf(id), onDidChange: sessions.onDidChange, tests, loadViews: () => loads.states() };
}
