import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';
import { busyListener } from '../integration/busyListener';
import { until } from '../shared/until';

// Not a test suite of its own: the README's screenshots, taken in the real workbench by
// `npm run screenshots` (test/host/run.mjs --suite screenshots). Each step still asserts that
// what it shows is there, so a broken feature cannot make a pretty picture.

const DEMO = `### An HTTP server on loopback
listen tcp 127.0.0.1:0 as web
recv until "\\r\\n\\r\\n"
send "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nHello from Socket Lab\\n"
close

### A client: GET / and check the answer
connect tcp {{web}} as client
send "GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n"
recv all
expect /200 OK/
expect "Hello from Socket Lab"
`;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function shot(name: string): Promise<void> {
  await vscode.commands.executeCommand('notifications.clearAll');
  await vscode.commands.executeCommand('workbench.action.closePanel');
  await pause(700);
  console.log(`[screenshot] ${name}`);
  await pause(1500);
}

describe('README screenshots', () => {
  let api: SocketLabApi;
  before(async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    api = await ext.activate();
    await vscode.commands.executeCommand('workbench.action.closePanel');
  });

  it('a .sock file after Run All, then its traffic in the traffic view', async function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'socket-lab-shots-'));
    const file = join(dir, 'http-demo.sock');
    writeFileSync(file, DEMO);
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('socketLab.runFile');
    await until('inline results of the run', () => (api.inlineResults(doc.uri).size >= 8 ? true : undefined), 15_000);
    assert.ok([...api.inlineResults(doc.uri).values()].some((t) => t.includes('✓')));
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await shot('sock-run');

    const client = api.endpoints().find((r) => r.kind === 'client');
    assert.ok(client);
    await vscode.commands.executeCommand('socketLab.showTraffic');
    await until('the traffic page', () => (api.trafficView().ready ? true : undefined), 20_000);
    await pause(500);
    await shot('traffic-view');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the connection tree with a listener, its connections and a client', async function () {
    this.timeout(30_000);
    const { id } = await busyListener(api);
    await vscode.commands.executeCommand('socketLab.revealTree');
    await until('three connections under the listener', () => (api.tree().find((n) => n.id === id)?.children.length === 3 ? true : undefined), 5000);
    await vscode.commands.executeCommand('socketLab.showTraffic', id);
    await until('the traffic page', () => (api.trafficView().ready ? true : undefined), 20_000);
    await pause(800);
    await shot('connections-tree');
    await vscode.commands.executeCommand('socketLab.stopAll');
  });
});
