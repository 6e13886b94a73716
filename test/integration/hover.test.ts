import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';

async function hoverText(doc: vscode.TextDocument, line: number, character: number): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, character))) ?? [];
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
}

describe('hovers in .sock files', () => {
  it('answer over a host, an address, a port, an escaped payload and a verb', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### a\nlookup localhost\nconnect tcp 127.0.0.1:80\nsend "hi\\r\\n"\n' });
    await vscode.window.showTextDocument(doc);
    assert.match(await hoverText(doc, 1, 9), /addresses \(gethostbyname\): 127\.0\.0\.1/);
    const address = await hoverText(doc, 2, 14);
    assert.match(address, /IPv4 address/);
    assert.match(address, /7f 00 00 01/);
    assert.match(address, /name \(gethostbyaddr\): localhost/);
    assert.match(await hoverText(doc, 2, 23), /port 80.*service `http`/);
    const payload = await hoverText(doc, 3, 7);
    assert.match(payload, /\*\*4 bytes\*\*/);
    assert.match(payload, /00000000: 6869 0d0a {2,}hi\.\./, 'the exact bytes, as a hex dump');
    assert.match(await hoverText(doc, 3, 1), /\*\*send\*\*.*s\.sendall\(data\)/s);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
