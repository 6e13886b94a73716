import { strict as assert } from 'node:assert';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';

const ROOT = resolve(__dirname, '..', '..');

describe('Run File', () => {
  it('runs the tutorial .sock file: its listeners and connections show in the tree and the traffic history', async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    const api = await ext.activate();
    await vscode.commands.executeCommand('socketLab.clearClosed');
    const before = api.capture().events;
    const doc = await vscode.workspace.openTextDocument(join(ROOT, 'examples', 'tutorial.sock'));
    assert.equal(doc.languageId, 'sock');
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('socketLab.runFile');
    const records = api.endpoints();
    const listeners = records.filter((r) => r.kind === 'listener');
    assert.deepEqual(listeners.map((l) => l.transport).sort(), ['tcp', 'tcp', 'udp', 'unix'], JSON.stringify(records));
    assert.ok(listeners.every((l) => l.state === 'closed'), 'the run closed its listeners when it ended');
    const greeter = listeners.find((l) => l.transport === 'tcp' && l.bytesOut === 24);
    assert.ok(greeter, 'the greeter sent "Thank you for connecting" (24 bytes)');
    assert.ok(api.capture().events > before + 20, `the history grew by ${api.capture().events - before} events`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
