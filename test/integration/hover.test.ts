import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';

async function hoverText(doc: vscode.TextDocument, line: number, character: number): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, character))) ?? [];
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
}

/**
 * The hover once the editor answers: right after a document opens, VS Code's hover command can
 * come back empty before the editor has taken the document in (seen once in ten runs).
 */
async function firstHover(doc: vscode.TextDocument, line: number, character: number): Promise<string> {
  let text = '';
  for (let i = 0; i < 20 && text === ''; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    text = await hoverText(doc, line, character);
  }
  return text;
}

describe('hovers in .sock files', () => {
  it('answer over a host, an address, a port, an escaped payload, a verb and an error code', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### a\nlookup localhost\nconnect tcp 127.0.0.1:80\nsend "hi\\r\\n"\nexpect error ECONNREFUSED\n' });
    await vscode.window.showTextDocument(doc);
    assert.match(await firstHover(doc, 1, 9), /\/etc\/hosts: `127\.0\.0\.1`/);
    const address = await hoverText(doc, 2, 14);
    assert.match(address, /IPv4 address/);
    assert.match(address, /7f 00 00 01/);
    assert.match(address, /\/etc\/hosts: `localhost`/);
    assert.match(await hoverText(doc, 2, 23), /port 80.*service `http`/);
    const payload = await hoverText(doc, 3, 7);
    assert.match(payload, /\*\*4 bytes\*\*/);
    assert.match(payload, /00000000: 6869 0d0a {2,}hi\.\./, 'the exact bytes, as a hex dump');
    assert.match(await hoverText(doc, 3, 1), /\*\*send\*\*.*s\.sendall\(data\)/s);
    const code = await hoverText(doc, 4, 15);
    assert.match(code, /On the wire: the peer's host answered the SYN with a RST/);
    assert.match(code, /In Python: `ConnectionRefusedError`/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('answer from local facts, offer the lookup as a link that runs it, and skip comments', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### a\nconnect tcp 10.0.0.1:80 # was 10.0.0.3\nlookup 127.0.0.1\n' });
    await vscode.window.showTextDocument(doc);
    const address = await firstHover(doc, 1, 14);
    assert.match(address, /not in \/etc\/hosts/);
    assert.match(address, /\[Look up 10\.0\.0\.1\]\(command:socketLab\.lookupHost\?%5B%2210\.0\.0\.1%22%5D/);
    assert.equal(await hoverText(doc, 1, 32), '', 'an address in a comment is not hovered');
    // As a person sees it: the hover over the address, with its link.
    const editor = vscode.window.activeTextEditor;
    if (editor) editor.selection = new vscode.Selection(1, 14, 1, 14);
    await vscode.commands.executeCommand('editor.action.showHover');
    await new Promise((r) => setTimeout(r, 800));
    console.log('[screenshot] hover-lookup-link');
    await new Promise((r) => setTimeout(r, 1000));
    // Clicking the link runs its command with its arguments: on loopback, so the answer is local.
    const link = /\(command:([\w.]+)\?([^ )]+)/.exec(await hoverText(doc, 2, 9));
    assert.ok(link);
    assert.equal(link[1], 'socketLab.lookupHost');
    assert.equal(await vscode.commands.executeCommand(link[1], ...(JSON.parse(decodeURIComponent(link[2])) as unknown[])), 'localhost');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
