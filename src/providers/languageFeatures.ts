import * as vscode from 'vscode';
import { RECORD_TYPES } from '../net/dnsQuery';
import { systemServices } from '../net/services';
import { VERB_DOCS } from '../sock/hoverInfo';
import type { SockFile } from '../sock/ast';
import { SOCK_LANGUAGE } from './contributions';
import { RECENT_ENDPOINTS_KEY } from './endpointInput';
import type { ParsedDocuments } from './parsedDocuments';

const SETTINGS_WORDS = ['eol', 'max-conns', 'allow', 'deny', 'idle-timeout', 'remove-stale', 'insecure', 'ca', 'servername', 'alpn', 'cert', 'key', 'self-signed', 'broadcast', 'join'];
const STEP_KEYWORDS = ['tcp', 'udp', 'unix', 'tls', 'as', 'keep', 'timeout', 'every', 'until', 'all', 'line', 'exactly', 'error', 'hex', 'base64', 'file', 'crlf', 'lf'];
const COMMON_SERVICES = ['http', 'https', 'ftp', 'ssh', 'telnet', 'smtp', 'domain', 'pop3', 'imap', 'nntp', 'gopher', 'ntp', 'snmp'];

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

/**
 * Completion: verbs at the start of a line, keywords after, declared variables in `{{`, services
 * after `service`, record types after `resolve NAME`, and the recent endpoints of the palette
 * after `connect tcp` / `listen udp` ….
 */
function completions(doc: vscode.TextDocument, position: vscode.Position, parsed: ParsedDocuments, recent: Record<string, string[]>): vscode.CompletionItem[] {
  const before = doc.lineAt(position.line).text.slice(0, position.character);
  // Inside `{{` first: `connect tcp {{` wants a variable, not a recent address.
  if (/\{\{[^}]*$/.test(before)) {
    const file = parsed.of(doc);
    const names = [...file.variables.keys()];
    for (const b of file.blocks) if (b.header?.name) names.push(b.header.name, `${b.header.name}.port`, `${b.header.name}.host`);
    return [...names.map((n) => new vscode.CompletionItem(n, vscode.CompletionItemKind.Variable)), ...['$timestamp', '$randomInt 0 100', '$env NAME'].map((n) => new vscode.CompletionItem(n, vscode.CompletionItemKind.Constant))];
  }
  const endpoint = /^\s*(connect|listen)\s+(tcp|udp|unix|tls)\s+\S*$/.exec(before);
  if (endpoint) {
    const list = recent[`${endpoint[1]}-${endpoint[2]}`];
    return (Array.isArray(list) ? list : []).map((e) => {
      const item = new vscode.CompletionItem(e, vscode.CompletionItemKind.Reference);
      item.detail = 'recent address';
      return item;
    });
  }
  if (/^\s*\S*$/.test(before)) {
    const verbs = Object.entries(VERB_DOCS).map(([verb, d]) => {
      const item = new vscode.CompletionItem(verb, vscode.CompletionItemKind.Keyword);
      item.documentation = new vscode.MarkdownString(d.doc + (d.python ? `\n\nPython: \`${d.python}\`` : ''));
      return item;
    });
    return [...verbs, ...SETTINGS_WORDS.map((w) => new vscode.CompletionItem(w, vscode.CompletionItemKind.Property))];
  }
  if (/^\s*service\s+\S*$/.test(before)) {
    return COMMON_SERVICES.map((name) => {
      const item = new vscode.CompletionItem(name, vscode.CompletionItemKind.Value);
      try {
        item.detail = `port ${systemServices().port(name, name === 'ntp' || name === 'snmp' ? 'udp' : 'tcp').port}`;
      } catch {
        item.detail = undefined;
      }
      return item;
    });
  }
  if (/^\s*resolve\s+\S+\s+\S*$/.test(before)) return RECORD_TYPES.map((t) => new vscode.CompletionItem(t, vscode.CompletionItemKind.EnumMember));
  return STEP_KEYWORDS.map((k) => new vscode.CompletionItem(k, vscode.CompletionItemKind.Keyword));
}

/** Registers the outline (document symbols) and completion for `.sock` files. */
export function registerLanguageFeatures(context: vscode.ExtensionContext, parsed: ParsedDocuments): void {
  const selector: vscode.DocumentSelector = { language: SOCK_LANGUAGE };
  context.subscriptions.push(
    vscode.languages.registerDocumentSymbolProvider(selector, { provideDocumentSymbols: (doc) => blockSymbols(parsed.of(doc)) }, { label: 'Socket Lab blocks' }),
    vscode.languages.registerCompletionItemProvider(selector, { provideCompletionItems: (doc, pos) => completions(doc, pos, parsed, context.globalState.get<Record<string, string[]>>(RECENT_ENDPOINTS_KEY, {})) }, '{', ' '),
  );
}
