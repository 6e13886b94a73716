import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';
import { echoOf } from '../shared/echo';
import { until } from '../shared/until';

async function titles(uri: vscode.Uri): Promise<string[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
  return lenses.map((l) => `${l.range.start.line}:${l.command?.title}`);
}

// Block 2 waits for bytes that never come (the echo listener sends only what it receives).
const ECHO_FILE = '### echo\nlisten tcp 127.0.0.1:0 as echo\necho\n\n### client\nconnect tcp {{echo}}\nrecv timeout 20s\n';

describe('one owner of every socket: palette and .sock runs alike', () => {
  let api: SocketLabApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    api = await ext.activate();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('socketLab.stopAll');
    await vscode.commands.executeCommand('socketLab.clearClosed');
  });

  /** Starts the echo listener block of a new document; returns the document, the listener's id and port. */
  async function fileListener(): Promise<{ doc: vscode.TextDocument; id: string; port: number }> {
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: ECHO_FILE });
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('socketLab.runBlock', doc.uri, 1);
    // Its own listener, by the id its listen line shows: another run may be starting listeners too.
    const shown = /\((l\d+)\)/.exec(api.inlineResults(doc.uri).get(1) ?? '')?.[1];
    const rec = api.endpoints().find((r) => r.id === shown && r.kind === 'listener' && r.state === 'listening');
    assert.ok(rec, `the file listener is in the tree (${api.inlineResults(doc.uri).get(1) ?? 'no result on its listen line'})`);
    const port = Number(rec.local.split(':').pop());
    assert.equal(await echoOf(port, 'hello'), 'hello', 'the file listener echoes');
    return { doc, id: rec.id, port };
  }

  it('Stop All stops a listener started from a .sock file as well as a palette listener, and awaits them', async () => {
    const { doc, id, port } = await fileListener();
    const palette = await vscode.commands.executeCommand<string>('socketLab.startTcpListener', '127.0.0.1:0');
    await vscode.commands.executeCommand('socketLab.stopAll');
    // Stop All has resolved: nothing listens any more, and the tree says so.
    assert.equal(await echoOf(port, 'still there?'), 'ECONNREFUSED', 'the file listener no longer answers');
    assert.equal(api.endpoints().find((r) => r.id === id)?.state, 'closed');
    assert.equal(api.endpoints().find((r) => r.id === palette)?.state, 'closed');
    assert.deepEqual(api.endpoints().filter((r) => r.state === 'listening' || r.state === 'open'), []);
    assert.equal((await titles(doc.uri))[1], '0:$(play) Start', 'the listener block offers Start again');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it("the tree's ✕ closes a file listener (its block offers Start again) and a file run's accepted connection; Clear Closed clears them", async () => {
    const { doc, id, port } = await fileListener();
    // A peer that stays connected: its accepted connection runs the echo block's steps.
    const earlier = new Set(api.endpoints().map((r) => r.id));
    const peer = connect({ host: '127.0.0.1', port });
    peer.on('error', () => undefined);
    const closedByUs = new Promise<void>((r) => peer.on('close', () => r()));
    const accepted = await until('the accepted connection', () => api.endpoints().find((r) => r.listener === id && r.state === 'open' && !earlier.has(r.id)));
    const t0 = Date.now();
    await vscode.commands.executeCommand('socketLab.close', accepted.id);
    await closedByUs;
    // Not when the echo step's 5 s wait for a chunk ran out: ✕ closed it.
    assert.ok(Date.now() - t0 < 2000, `the peer saw the close at once (${Date.now() - t0} ms)`);
    assert.equal(api.endpoints().find((r) => r.id === accepted.id)?.state, 'closed');
    assert.equal(await echoOf(port, 'again'), 'again', 'closing a connection leaves its listener running');
    await vscode.commands.executeCommand('socketLab.close', id);
    assert.equal(await echoOf(port, 'gone?'), 'ECONNREFUSED');
    assert.equal(api.endpoints().find((r) => r.id === id)?.state, 'closed');
    assert.equal((await titles(doc.uri))[1], '0:$(play) Start');
    await vscode.commands.executeCommand('socketLab.clearClosed');
    assert.equal(api.endpoints().find((r) => r.id === id || r.listener === id), undefined, 'Clear Closed removed the listener and its connections');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('Clear Closed run while Stop All is still closing waits for it, and clears what it closed', async () => {
    const { id } = await fileListener();
    const palette = await vscode.commands.executeCommand<string>('socketLab.startTcpListener', '127.0.0.1:0');
    const stopping = vscode.commands.executeCommand('socketLab.stopAll');
    await vscode.commands.executeCommand('socketLab.clearClosed');
    await stopping;
    assert.deepEqual(api.endpoints().filter((r) => r.id === id || r.id === palette || r.listener === id), [], 'nothing of them is left in the tree');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it("cancelling a block's progress stops that block only: the file's listener keeps running", async () => {
    const { doc, id, port } = await fileListener();
    // The progress notification's Cancel, as a person clicks it: the token of our own source.
    const original = vscode.window.withProgress;
    const source = new vscode.CancellationTokenSource();
    (vscode.window as { withProgress: unknown }).withProgress = <R>(options: vscode.ProgressOptions, task: (p: vscode.Progress<{ message?: string }>, t: vscode.CancellationToken) => Thenable<R>): Thenable<R> => {
      assert.equal(options.cancellable, true);
      setTimeout(() => source.cancel(), 300);
      return task({ report: () => undefined }, source.token);
    };
    const t0 = Date.now();
    let result: { passed: number; failed: number; errors: number } | undefined;
    try {
      result = await vscode.commands.executeCommand('socketLab.runBlock', doc.uri, 2);
    } finally {
      (vscode.window as { withProgress: unknown }).withProgress = original;
      source.dispose();
    }
    assert.ok(Date.now() - t0 < 10_000, 'the waiting recv ended when cancelled, not at its 20 s timeout');
    assert.ok(result, 'the block ran and was cancelled');
    assert.match(api.inlineResults(doc.uri).get(6) ?? '', /cancel/i, 'the recv says it was cancelled');
    assert.equal(api.endpoints().find((r) => r.id === id)?.state, 'listening', 'the listener is still listening');
    assert.equal(await echoOf(port, 'after cancel'), 'after cancel', 'and still answers');
    assert.equal((await titles(doc.uri))[1], '0:$(debug-stop) Stop');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
