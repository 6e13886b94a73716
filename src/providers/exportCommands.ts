/**
 * Export in the editor (issue 20, spec §16): "Copy as Python", "Copy as Node", "Open as Python"
 * and "Open as Node" for the block at the cursor (or the whole file), from the editor's context
 * menu, the palette and an Export CodeLens above each block. The program comes from the same
 * export as `socket-lab export`; what has no translation is said in a notification. Exporting
 * runs nothing, so it works in an untrusted workspace too.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { exportSock, programName, type ExportLanguage, type ExportResult } from '../sock/export';
import { hasErrors } from '../sock/parser';
import { Commands, SOCK_LANGUAGE } from './contributions';
import type { ParsedDocuments } from './parsedDocuments';

/** What an export command does with the program. */
type Action = 'copy' | 'open';

const LANGUAGE_NAMES: Record<ExportLanguage, string> = { python: 'Python', node: 'Node' };

/** The block of `doc` at `line`, or `undefined` above the first block. */
function blockAt(parsed: ParsedDocuments, doc: vscode.TextDocument, line: number): number | undefined {
  return parsed.of(doc).blocks.find((b) => line >= b.range.start.line && line <= b.range.end.line)?.index;
}

/** What the notification says of statements with no translation: the first three, by line. */
function untranslatedText(result: ExportResult): string {
  const shown = result.untranslated.slice(0, 3).map((n) => `line ${n.line} (${n.source.split('\n')[0]}): ${n.reason}`);
  const more = result.untranslated.length > 3 ? `; ${result.untranslated.length - 3} more in the program's comments` : '';
  return `${result.untranslated.length} statement${result.untranslated.length === 1 ? ' has' : 's have'} no translation: ${shown.join('; ')}${more}.`;
}

/**
 * Exports `block` of `doc` (every block when absent) to `lang` and copies the program or opens it
 * in a new untitled editor beside. Resolves with the program, or `undefined` when the file has
 * errors (said in a message).
 */
export async function exportDocument(parsed: ParsedDocuments, doc: vscode.TextDocument, lang: ExportLanguage, action: Action, block?: number): Promise<ExportResult | undefined> {
  const file = parsed.of(doc);
  if (hasErrors(file)) {
    void vscode.window.showErrorMessage(`${path.basename(doc.fileName)} has errors (see Problems); fix them to export it.`);
    return undefined;
  }
  const fileName = doc.isUntitled ? 'untitled.sock' : path.basename(doc.fileName);
  const baseDir = doc.isUntitled ? (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd()) : path.dirname(doc.fileName);
  const result = exportSock(file, { lang, blocks: block === undefined ? undefined : [block], fileName, baseDir });
  const what = block === undefined ? fileName : `block ${block}`;
  // The program's name as it would be saved (tutorial-block6.py, beside the .sock file).
  const name = programName(block === undefined ? fileName : fileName.replace(/\.sock$/i, `-block${block}.sock`), lang);
  if (action === 'copy') {
    await vscode.env.clipboard.writeText(result.code);
  } else {
    // An untitled editor of that name.
    const uri = vscode.Uri.file(path.join(baseDir, name)).with({ scheme: 'untitled' });
    const program = await vscode.workspace.openTextDocument(uri);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(0, 0, program.lineCount, 0), result.code);
    await vscode.workspace.applyEdit(edit);
    const shown = await vscode.window.showTextDocument(await vscode.languages.setTextDocumentLanguage(program, lang === 'python' ? 'python' : 'javascript'), { viewColumn: vscode.ViewColumn.Beside, preview: false });
    // The chosen block's function, where its doc names its line, at the top of the editor.
    const chosen = block === undefined ? undefined : file.blocks.find((b) => b.index === block);
    const at = chosen ? result.code.split('\n').findIndex((l) => l.includes(`(${fileName}:${chosen.range.start.line + 1})`)) : -1;
    if (at > 0) {
      const position = new vscode.Position(at - 1, 0);
      shown.selection = new vscode.Selection(position, position);
      shown.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.AtTop);
    }
  }
  const done = action === 'copy' ? `Copied ${what} as ${LANGUAGE_NAMES[lang]}` : `Opened ${what} as ${LANGUAGE_NAMES[lang]}`;
  const run = `${lang === 'python' ? 'python3' : 'node'} ${name}`;
  if (result.untranslated.length > 0) void vscode.window.showWarningMessage(`${done}. ${untranslatedText(result)}`);
  else void vscode.window.showInformationMessage(`${done}: save it as ${name} and run ${run}.`);
  return result;
}

/** The Export CodeLens above each block: a quick pick of the four actions for that block. */
class ExportCodeLensProvider implements vscode.CodeLensProvider {
  constructor(private readonly parsed: ParsedDocuments) {}

  provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): vscode.CodeLens[] {
    const file = this.parsed.of(doc);
    if (token.isCancellationRequested) return [];
    return file.blocks.map((b) => {
      const at = new vscode.Range(b.range.start.line, 0, b.range.start.line, 0);
      return new vscode.CodeLens(at, { title: '$(code) Export', tooltip: 'Copy or open this block as a Python 3 or Node program', command: Commands.exportBlock, arguments: [doc.uri, b.index] });
    });
  }
}

/** Registers the export commands, their CodeLens and their menus' targets. */
export function registerExportCommands(context: vscode.ExtensionContext, parsed: ParsedDocuments): void {
  /**
   * The document and block a command is for: its arguments (a URI and a block, from the CodeLens),
   * else the active `.sock` editor (or the one in sight, from the walkthrough) with `{ block: N }`
   * or the block at its cursor.
   */
  const target = async (uri?: unknown, index?: unknown): Promise<{ doc: vscode.TextDocument; block?: number } | undefined> => {
    if (uri instanceof vscode.Uri) return { doc: await vscode.workspace.openTextDocument(uri), block: typeof index === 'number' ? index : undefined };
    const active = vscode.window.activeTextEditor;
    const visible = vscode.window.visibleTextEditors.filter((e) => e.document.languageId === SOCK_LANGUAGE);
    const editor = active?.document.languageId === SOCK_LANGUAGE ? active : visible.length === 1 ? visible[0] : undefined;
    if (!editor) {
      void vscode.window.showInformationMessage('Open a .sock file to export it as a program.');
      return undefined;
    }
    const asked = typeof uri === 'object' && uri !== null && typeof (uri as { block?: unknown }).block === 'number' ? (uri as { block: number }).block : undefined;
    if (asked !== undefined && !parsed.of(editor.document).blocks.some((b) => b.index === asked)) {
      void vscode.window.showInformationMessage(`${path.basename(editor.document.fileName)} has no block ${asked}.`);
      return undefined;
    }
    return { doc: editor.document, block: asked ?? blockAt(parsed, editor.document, editor.selection.active.line) };
  };
  const command = (lang: ExportLanguage, action: Action) => async (uri?: unknown, index?: unknown) => {
    const t = await target(uri, index);
    return t ? exportDocument(parsed, t.doc, lang, action, t.block) : undefined;
  };
  context.subscriptions.push(
    vscode.languages.registerCodeLensProvider({ language: SOCK_LANGUAGE }, new ExportCodeLensProvider(parsed)),
    vscode.commands.registerCommand(Commands.copyAsPython, command('python', 'copy')),
    vscode.commands.registerCommand(Commands.copyAsNode, command('node', 'copy')),
    vscode.commands.registerCommand(Commands.openAsPython, command('python', 'open')),
    vscode.commands.registerCommand(Commands.openAsNode, command('node', 'open')),
    vscode.commands.registerCommand(Commands.exportBlock, async (uri?: unknown, index?: unknown) => {
      const t = await target(uri, index);
      if (!t) return undefined;
      const picks: (vscode.QuickPickItem & { lang: ExportLanguage; action: Action })[] = [
        { label: '$(copy) Copy as Python', description: 'Python 3: socket, ssl, struct', lang: 'python', action: 'copy' },
        { label: '$(copy) Copy as Node', description: 'net, dgram, tls, dns; async/await', lang: 'node', action: 'copy' },
        { label: '$(go-to-file) Open as Python', description: 'in a new editor', lang: 'python', action: 'open' },
        { label: '$(go-to-file) Open as Node', description: 'in a new editor', lang: 'node', action: 'open' },
      ];
      const chosen = await vscode.window.showQuickPick(picks, { title: t.block === undefined ? 'Export the file as a program' : `Export block ${t.block} as a program`, placeHolder: 'The program does what the block does, a comment per step' });
      return chosen ? exportDocument(parsed, t.doc, chosen.lang, chosen.action, t.block) : undefined;
    }),
  );
}
