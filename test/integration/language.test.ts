import { strict as assert } from 'node:assert';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';

const ROOT = resolve(__dirname, '..', '..');

async function diagnosticsOf(uri: vscode.Uri, count: number): Promise<vscode.Diagnostic[]> {
  for (let i = 0; i < 100; i++) {
    const d = vscode.languages.getDiagnostics(uri);
    if (d.length >= count) return d;
    await new Promise((r) => setTimeout(r, 20));
  }
  return vscode.languages.getDiagnostics(uri);
}

describe('the .sock language in the editor', () => {
  it('opens .sock files as the sock language, highlighted, with no diagnostics for the tutorial', async () => {
    const doc = await vscode.workspace.openTextDocument(join(ROOT, 'examples', 'tutorial.sock'));
    assert.equal(doc.languageId, 'sock');
    await vscode.window.showTextDocument(doc);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(vscode.languages.getDiagnostics(doc.uri), []);
    console.log('[screenshot] tutorial-sock');
    await new Promise((r) => setTimeout(r, 1200));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('shows parse errors and warnings as diagnostics with exact ranges, as you type', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### broken\nconnect tcp localhost\nsend hello\n### wide open\nlisten tcp 0.0.0.0:8080\nclose\n' });
    const editor = await vscode.window.showTextDocument(doc);
    const d = await diagnosticsOf(doc.uri, 3);
    assert.deepEqual(
      d.map((x) => [x.range.start.line, x.range.start.character, x.severity, x.message]),
      [
        [1, 12, vscode.DiagnosticSeverity.Error, '"localhost": expected HOST:PORT, e.g. 127.0.0.1:8080'],
        [2, 5, vscode.DiagnosticSeverity.Error, 'a payload is quoted ("hello"), hex 47 45 54, base64 R0VU, file PATH or a heredoc (<<END)'],
        [4, 11, vscode.DiagnosticSeverity.Warning, 'listening on 0.0.0.0 accepts connections from other machines; 127.0.0.1 keeps the listener on this one'],
      ],
    );
    assert.ok(d.every((x) => x.source === 'socket-lab'));
    // Fix the first error by typing: its diagnostic goes away.
    await editor.edit((b) => b.replace(new vscode.Range(1, 12, 1, 21), '127.0.0.1:80'));
    for (let i = 0; i < 100 && vscode.languages.getDiagnostics(doc.uri).length !== 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(vscode.languages.getDiagnostics(doc.uri).length, 2);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});

describe('outline and completion', () => {
  it('lists the blocks by title in the outline, and completes verbs, variables and services', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '@target = 127.0.0.1:80\n### Greeter\nlisten tcp 0 as greeter\nsend "hi"\n### Client\nconnect tcp {{target}}\nsend "{{\n### \nservice \n' });
    await vscode.window.showTextDocument(doc);
    const symbols = (await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri)) ?? [];
    assert.deepEqual(symbols.map((s) => [s.name, s.detail]), [['Greeter', 'listen tcp 0 as greeter'], ['Client', 'connect tcp {{target}}'], ['Block 3', 'lookups']]);
    const labels = async (line: number, character: number): Promise<string[]> =>
      ((await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(line, character)))?.items ?? []).map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    const vars = await labels(6, 8);
    assert.ok(vars.includes('target') && vars.includes('greeter') && vars.includes('greeter.port'), vars.join(','));
    const verbs = await labels(7, 0);
    assert.ok(['connect', 'listen', 'send', 'recv', 'expect', 'resolve'].every((v) => verbs.includes(v)), verbs.join(','));
    const services = await labels(8, 8);
    assert.ok(services.includes('http') && services.includes('gopher'), services.join(','));
    // The connections suite (earlier) typed 127.0.0.1:0 into the UDP listener's input box.
    const recentDoc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### r\nlisten udp \n' });
    const recent = ((await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', recentDoc.uri, new vscode.Position(1, 11)))?.items ?? []).map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(recent.includes('127.0.0.1:0'), recent.join(','));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});

describe('one parse per change', () => {
  it('parses a changed 2,000-block file once for diagnostics, CodeLens, the outline, completion and hover, and each shows the change', async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    const api = await ext.activate();
    const BLOCKS = 2000;
    let content = '@host = 127.0.0.1\n';
    for (let i = 0; i < BLOCKS; i++) content += `### request ${i}\nconnect tcp {{host}}:8080 timeout 2s\nsend "GET /${i} HTTP/1.0\\r\\n\\r\\n"\nrecv until "\\r\\n\\r\\n" timeout 2s\nexpect /200 OK/\n`;
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content });
    const editor = await vscode.window.showTextDocument(doc);
    // The editor asks for CodeLens and the outline on its own once the file shows: let it settle.
    let before = -1;
    for (let i = 0; i < 50 && before !== api.parses(doc.uri); i++) {
      before = api.parses(doc.uri);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(before >= 1, 'the open file was parsed');
    // One edit: block 1 gets a new title and a misspelt verb.
    await editor.edit((b) => {
      b.replace(new vscode.Range(1, 4, 1, 11), 'renamed');
      b.replace(new vscode.Range(3, 0, 3, 4), 'sned');
    });
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
    const symbols = (await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri)) ?? [];
    const completion = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(2, 14));
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(2, 2))) ?? [];
    const diagnostics = await diagnosticsOf(doc.uri, 1);
    assert.equal(lenses.length, 2 * BLOCKS + 1, 'Run All, and Run and Export above each block');
    assert.equal(symbols[0]?.name, 'renamed 0', 'the outline shows the new title');
    assert.ok(completion?.items.some((item) => item.label === 'host'), 'completion offers the variable');
    assert.ok(hovers.length > 0, 'a hover over connect');
    assert.deepEqual(
      diagnostics.map((d) => [d.range.start.line, d.message]),
      [[3, 'unknown statement "sned" (did you mean "send"?)']],
    );
    assert.equal(api.parses(doc.uri), before + 1, 'one parse for the change, whatever asked');
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    for (let i = 0; i < 100 && !doc.isClosed; i++) await new Promise((r) => setTimeout(r, 50));
  });
});
