import * as vscode from 'vscode';
import type { Diagnostic as SockDiagnostic } from '../sock/ast';
import { SOCK_LANGUAGE } from './contributions';
import { closedForGood, type ParsedDocuments } from './parsedDocuments';

/** Converts a parser diagnostic to a VS Code one. */
export function toVscodeDiagnostic(d: SockDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(d.range.start.line, d.range.start.column, d.range.end.line, d.range.end.column);
  const severity = d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
  const diagnostic = new vscode.Diagnostic(range, d.message, severity);
  diagnostic.source = 'socket-lab';
  return diagnostic;
}

/** Shows the parser's errors and warnings for every open `.sock` document, as you type. */
export function registerDiagnostics(context: vscode.ExtensionContext, parsed: ParsedDocuments): void {
  const collection = vscode.languages.createDiagnosticCollection('socket-lab');
  const pending = new Map<string, NodeJS.Timeout>();
  const refresh = (doc: vscode.TextDocument): void => {
    if (doc.languageId !== SOCK_LANGUAGE) return;
    collection.set(doc.uri, parsed.of(doc).diagnostics.map(toVscodeDiagnostic));
  };
  // Typing re-parses after a short pause rather than on every keystroke (a large file takes a
  // noticeable time to parse).
  const refreshSoon = (doc: vscode.TextDocument): void => {
    if (doc.languageId !== SOCK_LANGUAGE) return;
    const key = doc.uri.toString();
    clearTimeout(pending.get(key));
    pending.set(
      key,
      setTimeout(() => {
        pending.delete(key);
        refresh(doc);
      }, 150),
    );
  };
  context.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(refresh),
    parsed.onDidInvalidate(() => vscode.workspace.textDocuments.forEach(refresh)),
    vscode.workspace.onDidChangeTextDocument((e) => refreshSoon(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      if (!closedForGood(doc)) return;
      clearTimeout(pending.get(doc.uri.toString()));
      pending.delete(doc.uri.toString());
      collection.delete(doc.uri);
    }),
    { dispose: () => pending.forEach((t) => clearTimeout(t)) },
  );
  vscode.workspace.textDocuments.forEach(refresh);
}
