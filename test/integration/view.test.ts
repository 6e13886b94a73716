import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';
import { busyListener } from './busyListener';

// Runs last (files load in name order): it opens a listener with three connections and a client,
// focuses the Socket Lab view and asks the harness for a screenshot (test-results/
// connections-tree.png) of the tree as a person sees it. deactivate() closes them at shutdown.
describe('the Socket Lab view, for the closing screenshot', () => {
  it('shows a listener, its accepted connections and a client in the sidebar', async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    const api = await ext.activate();
    await vscode.commands.executeCommand('socketLab.clearClosed');
    const { id, client } = await busyListener(api);
    assert.ok(api.endpoints().some((r) => r.id === id));
    await vscode.commands.executeCommand('socketLab.revealTree');
    const node = () => api.tree().find((n) => n.id === id);
    for (let i = 0; i < 40 && node()?.children.length !== 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(node()?.children.length, 3);
    assert.deepEqual(api.tree().map((n) => n.id), [id, client], 'closed entries were cleared; the listener and the client are the roots');
    // Let the throttled tree refresh reach the screen, then ask the harness for a picture.
    await new Promise((r) => setTimeout(r, 800));
    console.log('[screenshot] connections-tree');
    await new Promise((r) => setTimeout(r, 1500));
    // A closed client leaves the open rows for a Closed group at the bottom, where Clear Closed empties it.
    await vscode.commands.executeCommand('socketLab.close', client);
    for (let i = 0; i < 40 && api.tree().length !== 2; i++) await new Promise((r) => setTimeout(r, 50));
    const [listenerRow, closed] = api.tree();
    assert.deepEqual([listenerRow.id, closed.id, closed.label, closed.contextValue, closed.children.map((c) => c.id)], [id, 'group:closed', 'Closed (1)', 'closedGroup', [client]]);
    await vscode.commands.executeCommand('socketLab.clearClosed');
    assert.deepEqual(api.tree().map((n) => n.id), [id]);
  });
});
