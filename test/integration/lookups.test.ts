import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { until } from '../shared/until';

describe('lookup commands and the scratch file', () => {
  it('looks up hosts forward and reverse, services both ways, and converts addresses', async () => {
    assert.match((await vscode.commands.executeCommand<string>('socketLab.lookupHost', 'localhost')) ?? '', /127\.0\.0\.1/);
    assert.equal(await vscode.commands.executeCommand('socketLab.lookupHost', '127.0.0.1'), 'localhost');
    assert.equal(await vscode.commands.executeCommand('socketLab.lookupService', 'http'), '80');
    assert.equal(await vscode.commands.executeCommand('socketLab.lookupService', '80 tcp'), 'http');
    assert.equal(await vscode.commands.executeCommand('socketLab.convertAddress', '127.0.0.1'), 'inet_aton → 7f 00 00 01 "\\x7f\\0\\0\\x01" (127.0.0.1)');
    assert.equal(await vscode.commands.executeCommand('socketLab.convertAddress', '::1'), 'inet_pton → 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01');
    assert.equal(await vscode.commands.executeCommand('socketLab.convertAddress', '7f000001'), 'inet_ntop → 127.0.0.1');
  });

  it('answers bad input with a message, not a crash', async () => {
    const original = vscode.window.showErrorMessage;
    const messages: string[] = [];
    (vscode.window as { showErrorMessage: unknown }).showErrorMessage = (m: string) => (messages.push(m), Promise.resolve(undefined));
    try {
      assert.equal(await vscode.commands.executeCommand('socketLab.lookupService', 'http udp'), undefined);
      assert.equal(await vscode.commands.executeCommand('socketLab.convertAddress', '256.1.1.1'), undefined);
    } finally {
      (vscode.window as { showErrorMessage: unknown }).showErrorMessage = original;
    }
    assert.match(messages[0], /service\/proto not found: http\/udp/);
    assert.match(messages[1], /illegal IP address string passed to inet_aton/);
  });

  it('opens a new .sock scratch file from a template', async () => {
    const uri = await vscode.commands.executeCommand<string>('socketLab.newScratchFile');
    // The extension host hears of the new active editor by an event of its own: wait for it (bounded),
    // rather than read whichever editor an earlier test left active a moment before.
    const doc = await until('the scratch file as the active editor', () => (vscode.window.activeTextEditor?.document.uri.toString() === uri ? vscode.window.activeTextEditor?.document : undefined), 10_000);
    assert.equal(doc.languageId, 'sock');
    assert.match(doc.getText(), /^listen tcp 127\.0\.0\.1:0 as greeter$/m);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it("the walkthrough's buttons: the scratch file opens beside, and Run File runs it while another editor has focus", async () => {
    const other = await vscode.workspace.openTextDocument(vscode.Uri.file(resolve(__dirname, '..', '..', 'LICENSE')));
    await vscode.window.showTextDocument(other, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('socketLab.newScratchFile', { beside: true });
    const scratch = vscode.window.activeTextEditor;
    assert.ok(scratch);
    assert.equal(scratch.document.languageId, 'sock');
    assert.equal(scratch.viewColumn, vscode.ViewColumn.Two);
    // Focus goes back to column one (in the walkthrough it stays on the walkthrough).
    await vscode.window.showTextDocument(other, vscode.ViewColumn.One);
    assert.notEqual(vscode.window.activeTextEditor?.document.languageId, 'sock');
    const result = await vscode.commands.executeCommand<{ passed: number; failed: number; errors: number }>('socketLab.runFile');
    assert.deepEqual(result, { passed: 2, failed: 0, errors: 0, refused: new Map() }, 'the template ran: its client got the greeting, and its lookups answered');
    for (const lens of (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', scratch.document.uri)) ?? []) {
      if (lens.command?.title.includes('Stop')) await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
    }
    await vscode.window.showTextDocument(scratch.document, vscode.ViewColumn.Two);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.window.showTextDocument(other, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
