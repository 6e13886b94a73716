import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';
import { until } from '../shared/until';

const ROOT = resolve(__dirname, '..', '..');

/** The run lenses of a document (Run All, Start/Stop, Run); each block's Export lens is tested in export.test.ts. */
async function lenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  return ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? []).filter((l) => l.command?.command !== 'socketLab.exportBlock');
}

describe('running .sock files in the editor', () => {
  let api: SocketLabApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    api = await ext.activate();
  });

  it('CodeLens: Run All at the top, Start above a listener block, Run above the others; Start then Run then Stop', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### greeter\nlisten tcp 127.0.0.1:0 as greeter\nsend "Thank you for connecting"\nclose\n\n### client\nconnect tcp {{greeter}}\nrecv 1024\nexpect "Thank you"\n\n### lookup\nservice http tcp\nexpect "80"\n' });
    await vscode.window.showTextDocument(doc);
    const titles = async (): Promise<string[]> => (await lenses(doc.uri)).map((l) => `${l.range.start.line}:${l.command?.title}`);
    assert.deepEqual(await titles(), ['0:$(run-all) Run All', '0:$(play) Start', '5:$(play) Run', '10:$(play) Run']);
    const [, start, run] = await lenses(doc.uri);
    await vscode.commands.executeCommand(start.command!.command, ...(start.command!.arguments ?? []));
    assert.deepEqual(await titles(), ['0:$(run-all) Run All', '0:$(debug-stop) Stop', '5:$(play) Run', '10:$(play) Run'], 'the listener block now offers Stop');
    const listener = api.endpoints().find((r) => r.kind === 'listener' && r.state === 'listening');
    assert.ok(listener, 'the started listener is in the tree');
    assert.match(api.tree().find((n) => n.id === listener.id)?.label ?? '', /^greeter · TCP 127\.0\.0\.1:\d+$/, 'the tree names it as the file does');
    const result = await vscode.commands.executeCommand<{ passed: number; failed: number; errors: number }>(run.command!.command, ...(run.command!.arguments ?? []));
    assert.deepEqual(result, { passed: 1, failed: 0, errors: 0, refused: new Map() }, 'the client block ran against the listener started by the block above');
    const shown = api.inlineResults(doc.uri);
    assert.equal(shown.get(7), '← 24 bytes  "Thank you for connecting"', 'recv 1024 shows what came');
    assert.equal(shown.get(8), '✓ found "Thank you"');
    assert.match(shown.get(2) ?? '', /^→ \[greeter c\d+\] 24 bytes {2}"Thank you for connecting"$/, 'the listener step shows what it sent');
    console.log('[screenshot] inline-results');
    await new Promise((r) => setTimeout(r, 1000));
    // Editing the client block clears its results, and only its.
    await vscode.window.activeTextEditor?.edit((b) => b.replace(new vscode.Range(7, 5, 7, 9), '2048'));
    assert.equal(api.inlineResults(doc.uri).has(8), false, 'the edited block lost its results');
    assert.equal(api.inlineResults(doc.uri).has(2), true, 'the listener block kept its results');
    const stop = (await lenses(doc.uri))[1];
    await vscode.commands.executeCommand(stop.command!.command, ...(stop.command!.arguments ?? []));
    assert.equal(api.endpoints().find((r) => r.id === listener.id)?.state, 'closed');
    assert.deepEqual((await titles())[1], '0:$(play) Start');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it("runs a client block against the Python tutorial server, and refuses a second run while one is going", async () => {
    const server = spawn('python3', [join(ROOT, 'test', 'peers', 'server.py'), '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise<number>((res, rej) => {
        let out = '';
        let err = '';
        const t = setTimeout(() => rej(new Error(`server.py did not start in 30 s: ${out} ${err}`)), 30_000);
        server.stderr.on('data', (d: Buffer) => (err += d.toString()));
        server.on('exit', (code) => rej(new Error(`server.py exited (${code}): ${err}`)));
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening (\d+)/.exec(out);
          if (m) {
            clearTimeout(t);
            res(Number(m[1]));
          }
        });
      });
      const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: `### tutorial client\nconnect tcp 127.0.0.1:${port}\nwait 300ms\nrecv 1024\nexpect "Thank you for connecting"\n` });
      await vscode.window.showTextDocument(doc);
      const original = vscode.window.showInformationMessage;
      const infos: string[] = [];
      (vscode.window as { showInformationMessage: unknown }).showInformationMessage = (m: string) => (infos.push(m), Promise.resolve(undefined));
      let result: unknown;
      try {
        const first = vscode.commands.executeCommand('socketLab.runBlock', doc.uri, 1);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(await vscode.commands.executeCommand('socketLab.runBlock', doc.uri, 1), undefined, 'the second click is refused');
        result = await first;
      } finally {
        (vscode.window as { showInformationMessage: unknown }).showInformationMessage = original;
      }
      assert.deepEqual(result, { passed: 1, failed: 0, errors: 0, refused: new Map() });
      assert.ok(infos.some((m) => /still running/.test(m)), infos.join('\n'));
      assert.equal(api.inlineResults(doc.uri).get(3), '← 24 bytes  "Thank you for connecting"');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } finally {
      server.kill();
    }
  });

  it('a TLS listener with a self-signed certificate serves an insecure client: the certificate library loads from its own bundle', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### secure\nlisten tls 127.0.0.1:0 as secure\nself-signed\nsend "over TLS"\nclose\n\n### client\nconnect tls {{secure}}\ninsecure\nrecv\nexpect "over TLS"\n' });
    await vscode.window.showTextDocument(doc);
    try {
      const result = await vscode.commands.executeCommand<{ passed: number; failed: number; errors: number }>('socketLab.runFile', doc.uri);
      assert.deepEqual(result, { passed: 1, failed: 0, errors: 0, refused: new Map() });
      // Inline results are cut short: the fingerprint's first bytes show.
      assert.match(api.inlineResults(doc.uri).get(1) ?? '', /^→ listening on 127\.0\.0\.1:\d+ \(l\d+\); self-signed certificate CN=localhost, SHA-256 [0-9A-F]{2}:[0-9A-F]{2}:/);
      assert.equal(api.inlineResults(doc.uri).get(10), '✓ found "over TLS"');
    } finally {
      await vscode.commands.executeCommand('socketLab.stopAll');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it('a failed expectation shows at the end of its line and as a diagnostic', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### a\nservice http tcp\nexpect "8080"\n' });
    await vscode.window.showTextDocument(doc);
    const result = await vscode.commands.executeCommand<{ passed: number; failed: number; errors: number }>('socketLab.runFile', doc.uri);
    assert.deepEqual(result, { passed: 0, failed: 1, errors: 0, refused: new Map() });
    assert.equal(api.inlineResults(doc.uri).get(2), '✗ "8080" not in 2 bytes "80"');
    const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'socket-lab run');
    assert.deepEqual(d.map((x) => [x.range.start.line, x.message]), [[2, 'expect "8080": "8080" not in 2 bytes "80"']]);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('an error in one block keeps only that block from running: Run All runs the others and says which block and line', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### fine\nservice http tcp\nexpect "80"\n\n### broken\nservice http tcp\nexpectt "80"\n\n### also fine\nservice ssh tcp\nexpect "22"\n' });
    await vscode.window.showTextDocument(doc);
    const original = vscode.window.showErrorMessage;
    const errors: string[] = [];
    (vscode.window as { showErrorMessage: unknown }).showErrorMessage = (m: string) => (errors.push(m), Promise.resolve(undefined));
    try {
      const all = await vscode.commands.executeCommand('socketLab.runFile', doc.uri);
      assert.deepEqual(all, { passed: 2, failed: 0, errors: 0, refused: new Map([[2, 6]]) });
      const one = await vscode.commands.executeCommand('socketLab.runBlock', doc.uri, 2);
      assert.deepEqual(one, { passed: 0, failed: 0, errors: 0, refused: new Map([[2, 6]]) });
    } finally {
      (vscode.window as { showErrorMessage: unknown }).showErrorMessage = original;
    }
    assert.deepEqual(errors, [
      'Socket Lab: block 2 (broken) has an error on line 7 and did not run; the other blocks ran. See the Problems view.',
      'Socket Lab: block 2 (broken) has an error on line 7 and did not run. See the Problems view.',
    ]);
    assert.equal(api.inlineResults(doc.uri).get(10), '✓ found "22"', 'the block after the broken one ran');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('steps after a failed expect say they did not run, and a new run of the block clears what the last one showed', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### stops early\nservice http tcp\nexpect "8080"\nservice ssh tcp\nexpect "22"\n' });
    const editor = await vscode.window.showTextDocument(doc);
    // Run Block at Cursor (Ctrl+Alt+R): the block under the cursor.
    editor.selection = new vscode.Selection(3, 2, 3, 2);
    const r = await vscode.commands.executeCommand('socketLab.runBlockAtCursor');
    assert.deepEqual(r, { passed: 0, failed: 1, errors: 0, refused: new Map() });
    assert.equal(api.inlineResults(doc.uri).get(3), '· not run: the step on line 3 ended the block');
    assert.equal(api.inlineResults(doc.uri).get(4), '· not run: the step on line 3 ended the block');
    console.log('[screenshot] not-run-steps');
    await new Promise((res) => setTimeout(res, 1000));
    await editor.edit((b) => b.replace(new vscode.Range(2, 8, 2, 12), '80'));
    const again = await vscode.commands.executeCommand('socketLab.runBlockAtCursor');
    assert.deepEqual(again, { passed: 2, failed: 0, errors: 0, refused: new Map() });
    assert.equal(api.inlineResults(doc.uri).get(4), '✓ found "22"');
    // Completion after `connect `: the transports, in the verb table's order, first.
    await editor.edit((b) => b.insert(new vscode.Position(5, 0), 'connect '));
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(5, 8));
    const sorted = [...list.items].sort((a, b) => (a.sortText ?? String(a.label)).localeCompare(b.sortText ?? String(b.label)));
    assert.deepEqual(sorted.slice(0, 4).map((i) => i.label), ['tcp', 'udp', 'unix', 'tls']);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('Run All runs the tutorial: every expectation holds, its listeners show in the tree and keep running until stopped', async () => {
    await vscode.commands.executeCommand('socketLab.clearClosed');
    const before = api.capture().events;
    const doc = await vscode.workspace.openTextDocument(join(ROOT, 'examples', 'tutorial.sock'));
    await vscode.window.showTextDocument(doc);
    const result = await vscode.commands.executeCommand<{ passed: number; failed: number; errors: number }>('socketLab.runFile', doc.uri);
    assert.deepEqual(result, { passed: 28, failed: 0, errors: 0, refused: new Map() }, '27 expectations, and the block that asks the machine its name');
    const listeners = api.endpoints().filter((r) => r.kind === 'listener');
    assert.deepEqual(listeners.map((l) => l.transport).sort(), ['tcp', 'tcp', 'tcp', 'tcp', 'tcp', 'tcp', 'udp', 'unix'], "part 1's four listeners and part 2's four TCP ones");
    assert.ok(listeners.every((l) => l.state === 'listening'));
    assert.ok(listeners.some((l) => l.transport === 'tcp' && l.bytesOut === 24), 'the greeter sent "Thank you for connecting"');
    assert.ok(api.capture().events > before + 20);
    for (const lens of await lenses(doc.uri)) {
      if (lens.command?.title.includes('Stop')) await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
    }
    assert.ok(api.endpoints().filter((r) => r.kind === 'listener').every((l) => l.state === 'closed'), 'Stop closed every listener');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});

describe('a load block in the editor', () => {
  let api: SocketLabApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    api = await ext.activate();
  });

  it('opens its live view beside the editor, draws the load as it runs, then shows its table; the load line has the summary and the table as hover', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### echo\nlisten tcp 127.0.0.1:0 as echo\necho\n\n### pings under load\nconnect tcp {{echo}}\nload 20 clients ramp 200ms for 2s\nsend "PING\\n"\nrecv line\nexpect "PING"\nexpect p99 < 5s\nexpect errors 0\n' });
    await vscode.window.showTextDocument(doc);
    const result = await vscode.commands.executeCommand<{ passed: number; failed: number; errors: number }>('socketLab.runFile', doc.uri);
    assert.equal(result?.failed, 0, JSON.stringify(result));
    assert.equal(result?.errors, 0, JSON.stringify(result));
    const views = api.loadViews();
    assert.equal(views.length, 1, JSON.stringify(views));
    assert.equal(views[0].title, 'Load · pings under load');
    // The page loads beside the run; on a busy machine it may say ready after the run's 2 s.
    await until('the load page says ready', () => (api.loadViews()[0]?.ready ? true : undefined), 20_000);
    assert.ok(views[0].points >= 3, `progress points drawn: ${views[0].points}`);
    assert.ok(views[0].done, 'the final table was posted');
    assert.match(api.inlineResults(doc.uri).get(6) ?? '', /^≋ \d+ sessions in [\d.]+ s: [\d.]+\/s; [\d.]+ round trips\/s; round trip median [\d.]+ m?s, p99 [\d.]+ m?s; no errors/);
    assert.match(api.inlineResults(doc.uri).get(10) ?? '', /^✓ round-trip p99 [\d.]+ m?s$/);
    console.log('[screenshot] load-view');
    await new Promise((r) => setTimeout(r, 1500));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('with socketLab.load.openView off, runs the load without opening a view; its line still has the summary', async () => {
    const settings = vscode.workspace.getConfiguration('socketLab');
    await settings.update('load.openView', false, vscode.ConfigurationTarget.Global);
    try {
      await until('the load views to close', () => (api.loadViews().length === 0 ? true : undefined), 10_000);
      const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: '### echo\nlisten tcp 127.0.0.1:0 as echo\necho\n\n### pings under load\nconnect tcp {{echo}}\nload 5 clients\nsend "PING\\n"\nrecv line\nexpect errors 0\n' });
      await vscode.window.showTextDocument(doc);
      const result = await vscode.commands.executeCommand<{ passed: number; failed: number; errors: number }>('socketLab.runFile', doc.uri);
      assert.equal(result?.errors, 0, JSON.stringify(result));
      assert.deepEqual(api.loadViews(), [], 'no load view opened');
      assert.match(api.inlineResults(doc.uri).get(6) ?? '', /^≋ 5 sessions in /);
    } finally {
      await settings.update('load.openView', undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
