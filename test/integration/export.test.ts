import { strict as assert } from 'node:assert';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';

const ROOT = resolve(__dirname, '..', '..');

describe('export a block as a program (issue 20)', () => {
  it('offers Export above each block, opens a block as Python beside the file, copies it as Node', async () => {
    const uri = vscode.Uri.file(join(ROOT, 'examples', 'tutorial.sock'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
    const exports = lenses.filter((l) => l.command?.command === 'socketLab.exportBlock');
    assert.equal(exports.length, 24, 'one Export lens a block');
    assert.deepEqual(exports[5].command?.arguments?.[1], 6);

    // The client of the tutorial's greeter: the program has the greeter's server too.
    await vscode.commands.executeCommand('socketLab.openAsPython', uri, 6);
    const program = vscode.window.activeTextEditor?.document;
    assert.equal(program?.languageId, 'python');
    const text = program?.getText() ?? '';
    assert.match(text, /^#!\/usr\/bin\/env python3/);
    assert.match(text, /def greeter_session\(label, conn\):/);
    assert.match(text, /def block_6\(label\):\n {4}"""The tutorial's client/);
    assert.match(text, /# tutorial\.sock:46 {2}recv 1024\n {4}data = conn\.recv\(1024\)/);
    assert.ok(!text.includes('def block_8'), 'only block 6 and the listener it names');
    console.log('[screenshot] export-python');
    await new Promise((r) => setTimeout(r, 1200));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');

    await vscode.commands.executeCommand('socketLab.copyAsNode', uri, 24);
    const copied = await vscode.env.clipboard.readText();
    assert.match(copied, /^#!\/usr\/bin\/env node/);
    assert.match(copied, /async function block24\(label\)/);
    assert.match(copied, /expectError\(label, \d+, error, 'ECONNRESET'\);/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it("the walkthrough's step opens the scratch file's client as Python, with the greeter it connects to", async () => {
    await vscode.commands.executeCommand('socketLab.newScratchFile');
    assert.equal(vscode.window.activeTextEditor?.document.languageId, 'sock');
    await vscode.commands.executeCommand('socketLab.openAsPython', { block: 2 });
    const text = vscode.window.activeTextEditor?.document.getText() ?? '';
    assert.equal(vscode.window.activeTextEditor?.document.languageId, 'python');
    assert.match(text, /def greeter_session\(label, conn\):/);
    assert.match(text, /def block_2\(label\):\n {4}"""A client: connect, recv\(1024\)/);
    assert.match(text, /conn\.sendall\(b'Thank you for connecting\\n'\)/);
    // Both are untitled: closed without saving.
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.window.showTextDocument(vscode.workspace.textDocuments.find((d) => d.isUntitled && d.languageId === 'sock') as vscode.TextDocument);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
