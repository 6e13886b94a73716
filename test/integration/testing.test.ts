import { strict as assert } from 'node:assert';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';
import { until } from '../shared/until';

describe("VS Code's Testing view", function () {
  this.timeout(60_000);
  let api: SocketLabApi;
  let folder: string;
  const files: string[] = [];

  before(async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    api = await ext.activate();
    const ws = vscode.workspace.workspaceFolders?.[0];
    assert.ok(ws, 'the host opens a folder');
    folder = ws.uri.fsPath;
    const write = async (name: string, text: string): Promise<void> => {
      files.push(join(folder, name));
      await writeFile(join(folder, name), text);
    };
    await write('echo.sock', '### echo listener\nlisten tcp 127.0.0.1:0 as echo\necho\n\n### echoes a line\nconnect tcp {{echo}}\nsend "ping\\n"\nrecv line\nexpect "ping"\n\n### wants pong\nconnect tcp {{echo}}\nsend "ping\\n"\nrecv line\nexpect "pong"\n');
    await write('lookups.sock', '### http is 80\nservice http tcp\nexpect "80"\n\n### waits for nothing\nlisten tcp 127.0.0.1:0 as quiet\nwait 30s\n\n### quiet peer\nconnect tcp {{quiet}}\nrecv timeout 30s\n');
  });

  after(async () => {
    await vscode.commands.executeCommand('socketLab.stopAll');
    for (const f of files) await rm(f, { force: true });
  });

  it('lists every .sock file of the workspace with its client blocks as cases (listener blocks are fixtures)', async () => {
    await vscode.commands.executeCommand('workbench.view.testing.focus');
    await vscode.commands.executeCommand('testing.refreshTests');
    await until('the two files in the Testing view', () => (api.testItems().length >= 2 ? true : undefined), 20_000);
    // Files list their cases once the view expands them or they are opened.
    for (const f of files) await vscode.window.showTextDocument(vscode.Uri.file(f), { preview: false });
    const items = await until('the cases of both files', () => {
      const all = api.testItems();
      return all.every((f) => f.cases.length > 0) ? all : undefined;
    }, 20_000);
    assert.deepEqual(api.testProfiles(), ['Run', 'Run with Traffic View']);
    assert.deepEqual(items, [
      { label: 'echo.sock', cases: ['echoes a line', 'wants pong'] },
      { label: 'lookups.sock', cases: ['http is 80', 'quiet peer'] },
    ]);
    // An edit adds a case once typing pauses; reverting it takes the case away again.
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(files[0]));
    await editor.edit((b) => b.insert(new vscode.Position(editor.document.lineCount, 0), '\n### added by an edit\nservice http tcp\n'));
    const cases = (): readonly string[] => api.testItems().find((f) => f.label === 'echo.sock')?.cases ?? [];
    await until('the added case', () => (cases().includes('added by an edit') ? true : undefined), 10_000);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await until('the cases as saved', () => (cases().length === 2 ? true : undefined), 10_000);
  });

  it('a run reports one pass and one failure per file, the failure with expected and actual at its line; cancel ends a waiting case', async () => {
    // A run of echo.sock alone: its listener starts, both cases run, the listener stops again.
    const uri = vscode.Uri.file(join(folder, 'echo.sock'));
    await vscode.window.showTextDocument(uri);
    await vscode.commands.executeCommand('testing.runCurrentFile');
    const outcomes = await until('the outcomes of echo.sock', () => (api.testOutcomes().length === 2 ? api.testOutcomes() : undefined), 30_000);
    assert.deepEqual(outcomes.map((o) => [o.name, o.state]), [['echo.sock › echoes a line', 'passed'], ['echo.sock › wants pong', 'failed']]);
    assert.deepEqual(outcomes[1].messages, [{ text: '"pong" not in 5 bytes "ping\\n"', line: 15, expected: 'pong', actual: 'ping\\n' }]);
    assert.equal(api.endpoints().filter((r) => r.kind === 'listener' && r.state === 'listening').length, 0, 'the listener the run started stopped with it');
    console.log('[screenshot] testing-view');
    await new Promise((r) => setTimeout(r, 1500));
    // A case that waits 30 s: cancel ends it at once, reported as not run to its end.
    const quiet = vscode.Uri.file(join(folder, 'lookups.sock'));
    await vscode.window.showTextDocument(quiet);
    const t0 = Date.now();
    const running = vscode.commands.executeCommand('testing.runCurrentFile');
    await until('the quiet listener', () => (api.endpoints().some((r) => r.kind === 'listener' && r.state === 'listening') ? true : undefined), 20_000);
    await new Promise((r) => setTimeout(r, 300));
    await vscode.commands.executeCommand('testing.cancelRun');
    await running;
    const cancelled = await until('the outcomes after cancel', () => (api.testOutcomes().length === 2 ? api.testOutcomes() : undefined), 20_000);
    assert.ok(Date.now() - t0 < 15_000, 'cancel did not wait for the 30 s receive');
    assert.deepEqual(cancelled.map((o) => [o.name, o.state]), [['lookups.sock › http is 80', 'passed'], ['lookups.sock › quiet peer', 'skipped']]);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('environments: sock.env.json in the folder, switched from the status bar, change what a run sends and what a hover shows', async () => {
    const envFile = join(folder, 'sock.env.json');
    files.push(envFile);
    await writeFile(envFile, JSON.stringify({ $shared: { word: 'shared' }, alpha: { word: 'alpha' }, beta: { word: 'beta' } }));
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### echo\nlisten tcp 127.0.0.1:0 as echo\necho\n\n### says the word\nconnect tcp {{echo}}\nsend "{{word}}\\n"\nrecv line\nexpect "alpha"\n' });
    await vscode.window.showTextDocument(doc);
    const hover = async (): Promise<string> => {
      const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(6, 9))) ?? [];
      return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    };
    // The file is read when it appears: $shared alone until one is chosen.
    for (let i = 0; i < 100 && !/= shared/.test(await hover()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(await hover(), /\*\*\{\{word\}\}\*\* = shared — from the shared environment/);
    assert.deepEqual(vscode.languages.getDiagnostics(doc.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error), [], '{{word}} is declared by the environment');
    const choose = async (name: string): Promise<void> => {
      const original = vscode.window.showQuickPick;
      (vscode.window as { showQuickPick: unknown }).showQuickPick = (items: readonly { label: string }[]) => Promise.resolve(items.find((i) => i.label === name));
      try {
        await vscode.commands.executeCommand('socketLab.chooseEnvironment');
      } finally {
        (vscode.window as { showQuickPick: unknown }).showQuickPick = original;
      }
    };
    await choose('alpha');
    assert.match(await hover(), /= alpha — from environment "alpha"/);
    const ok = await vscode.commands.executeCommand('socketLab.runFile', doc.uri);
    assert.deepEqual(ok, { passed: 1, failed: 0, errors: 0, refused: new Map() });
    console.log('[screenshot] environment-status-bar');
    await new Promise((r) => setTimeout(r, 1000));
    await choose('beta');
    const bad = await vscode.commands.executeCommand('socketLab.runBlock', doc.uri, 2);
    assert.deepEqual(bad, { passed: 0, failed: 1, errors: 0, refused: new Map() });
    assert.equal(api.inlineResults(doc.uri).get(8), '✗ "alpha" not in 5 bytes "beta\\n"');
    await choose('No Environment');
    await vscode.commands.executeCommand('socketLab.stopAll');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
