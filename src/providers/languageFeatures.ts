import * as vscode from 'vscode';
import type { SockFile } from '../sock/ast';
import { completionsAt, type CompletionKind } from '../sock/lang/completions';
import { SOCK_LANGUAGE } from './contributions';
import { RECENT_ENDPOINTS_KEY } from './endpointInput';
import type { ParsedDocuments } from './parsedDocuments';

/** The outline of a `.sock` file: one symbol per block, named by its title. */
function blockSymbols(file: SockFile): vscode.DocumentSymbol[] {
  return file.blocks.map((b) => {
    const range = new vscode.Range(b.range.start.line, 0, b.range.end.line, b.range.end.column);
    const header = b.header ? b.header.source : 'lookups';
    const name = b.title || `Block ${b.index}`;
    const kind = b.header?.kind === 'listen' ? vscode.SymbolKind.Event : b.header ? vscode.SymbolKind.Function : vscode.SymbolKind.Namespace;
    return new vscode.DocumentSymbol(name, header, kind, range, new vscode.Range(b.range.start.line, 0, b.range.start.line, 0));
  });
}

const COMPLETION_KINDS: Record<CompletionKind, vscode.CompletionItemKind> = {
  verb: vscode.CompletionItemKind.Keyword,
  setting: vscode.CompletionItemKind.Property,
  keyword: vscode.CompletionItemKind.Keyword,
  transport: vscode.CompletionItemKind.Keyword,
  payload: vscode.CompletionItemKind.Keyword,
  'record-type': vscode.CompletionItemKind.EnumMember,
  service: vscode.CompletionItemKind.Value,
  variable: vscode.CompletionItemKind.Variable,
  builtin: vscode.CompletionItemKind.Constant,
  recent: vscode.CompletionItemKind.Reference,
};

/** Completion: what the pure {@link completionsAt} offers at the cursor, as completion items. */
function completions(doc: vscode.TextDocument, position: vscode.Position, parsed: ParsedDocuments, recent: Record<string, string[]>): vscode.CompletionItem[] {
  const before = doc.lineAt(position.line).text.slice(0, position.character);
  return completionsAt(before, parsed.of(doc), recent).map((c, i) => {
    const item = new vscode.CompletionItem(c.label, COMPLETION_KINDS[c.kind]);
    // In the order the verb table gives (transports first after `connect `), not alphabetical.
    item.sortText = String(i).padStart(5, '0');
    if (c.detail !== undefined) item.detail = c.detail;
    if (c.documentation !== undefined) item.documentation = new vscode.MarkdownString(c.documentation);
    return item;
  });
}

/** Registers the outline (document symbols) and completion for `.sock` files. */
export function registerLanguageFeatures(context: vscode.ExtensionContext, parsed: ParsedDocuments): void {
  const selector: vscode.DocumentSelector = { language: SOCK_LANGUAGE };
  context.subscriptions.push(
    vscode.languages.registerDocumentSymbolProvider(selector, { provideDocumentSymbols: (doc) => blockSymbols(parsed.of(doc)) }, { label: 'Socket Lab blocks' }),
    vscode.languages.registerCompletionItemProvider(selector, { provideCompletionItems: (doc, pos) => completions(doc, pos, parsed, context.globalState.get<Record<string, string[]>>(RECENT_ENDPOINTS_KEY, {})) }, '{', ' '),
  );
}
