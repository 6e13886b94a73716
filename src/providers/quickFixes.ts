import * as vscode from 'vscode';
import type { Diagnostic as SockDiagnostic } from '../sock/ast';
import { SOCK_LANGUAGE } from './contributions';
import type { ParsedDocuments } from './parsedDocuments';

/** True when the editor's diagnostic `d` shows the parser's `s`: same range, same message. */
function shows(d: vscode.Diagnostic, s: SockDiagnostic): boolean {
  const { start, end } = s.range;
  return d.message === s.message && d.range.start.line === start.line && d.range.start.character === start.column && d.range.end.line === end.line && d.range.end.character === end.column;
}

/**
 * Quick fixes: for each diagnostic of the context that has a "did you mean" word (the parser's
 * `replacement`), "Change to 'WORD'", which replaces exactly the misspelt word (the diagnostic's
 * range). The word comes from the document's shared parse, not from the message's text.
 */
export function quickFixes(doc: vscode.TextDocument, context: vscode.CodeActionContext, parsed: ParsedDocuments): vscode.CodeAction[] {
  const shown = context.diagnostics.filter((d) => d.source === 'socket-lab');
  if (shown.length === 0) return [];
  const hinted = parsed.of(doc).diagnostics.filter((s) => s.replacement !== undefined);
  const actions: vscode.CodeAction[] = [];
  for (const d of shown) {
    const s = hinted.find((h) => shows(d, h));
    if (s?.replacement === undefined) continue;
    const action = new vscode.CodeAction(`Change to '${s.replacement}'`, vscode.CodeActionKind.QuickFix);
    action.edit = new vscode.WorkspaceEdit();
    action.edit.replace(doc.uri, d.range, s.replacement);
    action.diagnostics = [d];
    action.isPreferred = true;
    actions.push(action);
  }
  return actions;
}

/** Registers the `.sock` quick fixes. */
export function registerQuickFixes(context: vscode.ExtensionContext, parsed: ParsedDocuments): void {
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider({ language: SOCK_LANGUAGE }, { provideCodeActions: (doc, _range, codeActionContext) => quickFixes(doc, codeActionContext, parsed) }, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  );
}
