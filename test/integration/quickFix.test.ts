import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';

/** The document's diagnostics once `done` holds of them (the editor shows them after a short pause). */
async function diagnosticsWhen(uri: vscode.Uri, done: (d: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
  for (let i = 0; i < 150 && !done(vscode.languages.getDiagnostics(uri)); i++) await new Promise((r) => setTimeout(r, 20));
  return vscode.languages.getDiagnostics(uri);
}

describe('quick fixes for .sock', () => {
  it('offers "Change to \'line\'" for recv lien, and applying it fixes the line and clears the diagnostic', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### q\nconnect tcp 127.0.0.1:7\nrecv lien timeout 2s\nsned "x"\n' });
    const editor = await vscode.window.showTextDocument(doc);
    const shown = await diagnosticsWhen(doc.uri, (d) => d.length >= 2);
    const lien = shown.find((d) => d.range.start.line === 2);
    assert.ok(lien, shown.map((d) => d.message).join('\n'));
    assert.deepEqual([lien.range.start.character, lien.range.end.character], [5, 9]);

    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, lien.range)) ?? [];
    const fix = actions.find((a) => a.title === "Change to 'line'");
    assert.ok(fix, actions.map((a) => a.title).join(', '));
    assert.equal(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
    assert.ok(fix.isPreferred);

    // What a person sees: the lightbulb's menu on the misspelt word.
    editor.selection = new vscode.Selection(2, 6, 2, 6);
    await vscode.commands.executeCommand('editor.action.quickFix');
    await new Promise((r) => setTimeout(r, 800));
    console.log('[screenshot] quick-fix');
    await new Promise((r) => setTimeout(r, 1200));
    await vscode.commands.executeCommand('hideCodeActionWidget');

    assert.ok(fix.edit && (await vscode.workspace.applyEdit(fix.edit)));
    assert.equal(doc.lineAt(2).text, 'recv line timeout 2s');
    const after = await diagnosticsWhen(doc.uri, (d) => !d.some((x) => x.range.start.line === 2));
    assert.deepEqual(
      after.map((d) => [d.range.start.line, d.message]),
      [[3, 'unknown statement "sned" (did you mean "send"?)']],
    );

    // The misspelt verb has its fix too; a diagnostic without a hint has none.
    const verbFix = ((await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, after[0].range)) ?? []).find((a) => a.title === "Change to 'send'");
    assert.ok(verbFix?.edit && (await vscode.workspace.applyEdit(verbFix.edit)));
    assert.equal(doc.lineAt(3).text, 'send "x"');
    assert.deepEqual(await diagnosticsWhen(doc.uri, (d) => d.length === 0), []);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('offers no quick fix for a mistake without a near miss', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### q\nconnect tcp 127.0.0.1:7\nrecv sometimes\n' });
    await vscode.window.showTextDocument(doc);
    const [d] = await diagnosticsWhen(doc.uri, (x) => x.length >= 1);
    assert.ok(d);
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range)) ?? [];
    assert.deepEqual(actions.filter((a) => a.title.startsWith('Change to')).map((a) => a.title), []);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
