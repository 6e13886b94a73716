import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';

// Runs with workspace trust on and the folder untrusted (Restricted Mode): nothing may send,
// listen or resolve from a file.
describe('an untrusted workspace', () => {
  let api: SocketLabApi;
  const content = '### greeter\nlisten tcp 127.0.0.1:0 as greeter\nsend "hi"\n\n### lookup\nlookup localhost\n';

  before(async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    api = await ext.activate();
  });

  it('is untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('offers no CodeLens to run a .sock file; Export, which runs nothing, stays', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content });
    await vscode.window.showTextDocument(doc);
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
    assert.deepEqual(
      lenses.map((l) => l.command?.command),
      lenses.map(() => 'socketLab.exportBlock'),
    );
    assert.ok(lenses.length > 0);
  });

  it('refuses Run File and Run Block even when called directly, and opens no socket', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content });
    await vscode.window.showTextDocument(doc);
    const original = vscode.window.showWarningMessage;
    const warnings: string[] = [];
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = (m: string) => (warnings.push(m), Promise.resolve(undefined));
    try {
      assert.equal(await vscode.commands.executeCommand('socketLab.runFile', doc.uri), undefined);
      assert.equal(await vscode.commands.executeCommand('socketLab.runBlock', doc.uri, 1), undefined);
    } finally {
      (vscode.window as { showWarningMessage: unknown }).showWarningMessage = original;
    }
    assert.deepEqual(warnings, ['Socket Lab does not run .sock files in an untrusted workspace.', 'Socket Lab does not run .sock files in an untrusted workspace.']);
    assert.deepEqual(api.endpoints(), [], 'no listener was started');
  });

  it('the Testing view lists the file but offers nothing to run: no run profile', async () => {
    const ws = vscode.workspace.workspaceFolders?.[0];
    assert.ok(ws);
    const uri = vscode.Uri.joinPath(ws.uri, 'untrusted.sock');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(content));
    try {
      await vscode.window.showTextDocument(uri);
      await vscode.commands.executeCommand('workbench.view.testing.focus');
      for (let i = 0; i < 100 && !api.testItems().some((f) => f.label === 'untrusted.sock' && f.cases.length > 0); i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(api.testItems(), [{ label: 'untrusted.sock', cases: ['lookup'] }]);
      assert.deepEqual(api.testProfiles(), []);
      assert.deepEqual(api.endpoints(), [], 'no listener was started');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(uri);
    }
  });

  it('hovers only with what needs no network', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content });
    await vscode.window.showTextDocument(doc);
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(5, 9))) ?? [];
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /\/etc\/hosts: `127\.0\.0\.1`/);
    assert.match(text, /\[Look up localhost\]\(command:socketLab\.lookupHost/, 'a lookup is a click away, as from the palette');
    console.log('[screenshot] restricted-mode');
    await new Promise((r) => setTimeout(r, 1000));
  });
});
