import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';
import { until } from '../shared/until';

const ROOT = resolve(__dirname, '..', '..');

/** Python 3's socket module as the peer: it greets, then prints each chunk it receives. */
function pythonPeer(): { child: ChildProcess; port: Promise<number>; output: () => string } {
  const child = spawn('python3', [join(ROOT, 'test', 'peers', 'stream_server.py'), 'print'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const port = until('the Python peer to listen', () => /listening (\d+)/.exec(out)?.[1], 10_000).then(Number);
  return { child, port, output: () => out };
}

describe('the traffic view in VS Code', () => {
  let api: SocketLabApi;
  let peer: ReturnType<typeof pythonPeer> | undefined;
  let dir: string;

  before(async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    api = await ext.activate();
    dir = mkdtempSync(join(tmpdir(), 'socket-lab-traffic-'));
  });
  after(async () => {
    peer?.child.kill();
    await vscode.commands.executeCommand('socketLab.stopAll');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens from "Show Traffic", gets live events, and its send box sends bytes a Python peer receives', async function () {
    this.timeout(60_000);
    peer = pythonPeer();
    const port = await peer.port;
    const client = await vscode.commands.executeCommand<string>('socketLab.connectTcp', `127.0.0.1:${port}`);
    assert.ok(client);
    await vscode.commands.executeCommand('socketLab.showTraffic', client);
    const ready = await until('the traffic page to say ready', () => (api.trafficView().ready ? api.trafficView() : undefined), 20_000);
    assert.equal(ready.focus, client);
    // The greeting arrived before the page opened: it comes with the history. Live traffic follows.
    const before = api.trafficView().posted;
    assert.ok(before >= 2, `history of ${before} events`);
    await vscode.commands.executeCommand('socketLab.send', client, 'from the palette\\n');
    await until('the live event to reach the page', () => (api.trafficView().posted > before ? true : undefined), 5000);

    // Type in the page's send box, as a person would (the harness acts in the webview's frame).
    console.log(`[webview] fill #send-input ${JSON.stringify('PING from the send box\\r\\n')}`);
    console.log('[webview] press #send-input "Enter"');
    const got = await until('the Python peer to print what the send box sent', () => (peer?.output().includes("b'PING from the send box\\r\\n'") ? peer.output() : undefined), 20_000);
    assert.match(got, /b'from the palette\\n'/);
    await new Promise((r) => setTimeout(r, 500));
    console.log('[screenshot] traffic-view');
    await new Promise((r) => setTimeout(r, 1500));

    // Export what the view shows: the JSON lines hold every byte both ways.
    const file = await vscode.commands.executeCommand<string>('socketLab.exportTraffic', 'jsonl', client, join(dir, 'c.jsonl'));
    assert.equal(file, join(dir, 'c.jsonl'));
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; direction?: string; payload?: { base64: string } });
    const bytes = (dir_: string) => Buffer.concat(lines.filter((l) => l.type === 'data' && l.direction === dir_).map((l) => Buffer.from(l.payload?.base64 ?? '', 'base64'))).toString();
    assert.equal(bytes('in'), 'hello from python\r\n');
    assert.equal(bytes('out'), 'from the palette\nPING from the send box\r\n');

    // pcapng for Wireshark: tshark reads back the bytes of each direction.
    const pcap = await vscode.commands.executeCommand<string>('socketLab.exportTraffic', 'pcapng', client, join(dir, 'c.pcapng'));
    const fields = execFileSync('tshark', ['-r', pcap, '-Y', 'tcp.len > 0', '-T', 'fields', '-e', 'tcp.dstport', '-e', 'tcp.payload'], { encoding: 'utf8' });
    const sent = fields
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([dst]) => Number(dst) === port)
      .map(([, hex]) => Buffer.from(hex.replace(/:/g, ''), 'hex').toString())
      .join('');
    assert.equal(sent, 'from the palette\nPING from the send box\r\n');

    // Record then replay: the .sock export connects to the same peer and sends the same bytes.
    const sock = await vscode.commands.executeCommand<string>('socketLab.exportTraffic', 'sock', client, join(dir, 'replay.sock'));
    const text = readFileSync(sock, 'utf8');
    assert.match(text, new RegExp(`connect tcp 127\\.0\\.0\\.1:${port}`));
    assert.match(text, /PING from the send box/);
    assert.match(text, /hello from python/);
    // Without a file: a new untitled .sock editor named for what it holds, twice with two names.
    for (const name of [`replay-${client}.sock`, `replay-${client}-2.sock`]) {
      await vscode.commands.executeCommand('socketLab.exportTraffic', 'sock', client);
      const doc = vscode.window.activeTextEditor?.document;
      assert.deepEqual([doc?.uri.scheme, doc?.uri.path.split('/').pop(), doc?.languageId], ['untitled', name, 'sock']);
      assert.match(doc?.getText() ?? '', /PING from the send box/);
    }
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('the send box sends to the connection the view shows, also after choosing another in the view', async function () {
    this.timeout(60_000);
    const id = await vscode.commands.executeCommand<string>('socketLab.startTcpListener', '127.0.0.1:0');
    const local = api.endpoints().find((r) => r.id === id)?.local ?? '';
    const port = Number(local.slice(local.lastIndexOf(':') + 1));
    const clients = [0, 1].map(() => connect({ host: '127.0.0.1', port }));
    const got = ['', ''];
    clients.forEach((c, i) => {
      c.on('error', () => undefined);
      c.on('data', (d: Buffer) => (got[i] += d.toString()));
    });
    try {
      const accepted = await until('two accepted connections', () => {
        const a = api.endpoints().filter((r) => r.listener === id);
        return a.length === 2 ? a : undefined;
      });
      // Which accepted connection is which client: by the client's port.
      const mine = (i: number) => accepted.find((r) => r.remote?.endsWith(`:${clients[i].localPort}`))?.id ?? '';
      await vscode.commands.executeCommand('socketLab.showTraffic', mine(1));
      await until('the traffic page to show it', () => (api.trafficView().ready && api.trafficView().focus === mine(1) ? true : undefined), 20_000);
      // The person then chooses the other connection in the view, and types.
      console.log(`[webview] select #connection ${JSON.stringify(mine(0))}`);
      await new Promise((r) => setTimeout(r, 500));
      console.log(`[webview] fill #send-input ${JSON.stringify('to the one shown')}`);
      console.log('[webview] press #send-input "Enter"');
      await until('the bytes at the client shown', () => (got[0] === 'to the one shown' ? true : undefined), 20_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(got[1], '', 'nothing went to the connection the view showed before');
      console.log('[screenshot] traffic-view-send-target');
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      clients.forEach((c) => c.destroy());
    }
  });
  it('a run that reads frames from a Python Modbus/TCP server: the capture holds its frame and field marks, and the view shows the frames in a hex dump', async function () {
    this.timeout(60_000);
    const server = spawn('python3', [join(ROOT, 'test', 'peers', 'modbus_server.py'), '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const port = await until('the Modbus server to listen', () => /listening (\d+)\r?\n/.exec(out)?.[1], 10_000).then(Number);
      const doc = await vscode.workspace.openTextDocument({
        language: 'sock',
        content: `### read two registers, twice\nconnect tcp 127.0.0.1:${port}\nrepeat 2\n  send u16 7 u16 0 u16 len ( u8 1 u8 3 u16 0 u16 2 )\n  recv frame u16 after 4 timeout 3s\n  expect u16 7 at 0\n  capture first u16 at 9\nend\n`,
      });
      await vscode.window.showTextDocument(doc);
      const result = await vscode.commands.executeCommand<{ passed: number; failed: number; errors: number }>('socketLab.runFile', doc.uri);
      assert.deepEqual(result, { passed: 2, failed: 0, errors: 0, refused: new Map() });
      const client = api.endpoints().find((r) => r.kind === 'client' && r.remote === `127.0.0.1:${port}`)?.id;
      assert.ok(client, 'the run\'s connection is in the tree');
      const file = await vscode.commands.executeCommand<string>('socketLab.exportTraffic', 'jsonl', client, join(dir, 'modbus.jsonl'));
      const events = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; mark?: string; offset?: number; length?: number; label?: string });
      const marks = events.filter((e) => e.type === 'mark').map((e) => [e.mark, e.offset, e.length, e.label]);
      // Each round: the frame as recv frame returned it, then the bytes expect and capture read in it (stream offsets).
      assert.deepEqual(marks, [
        ['frame', 0, 13, 'recv frame u16 after 4 timeout 3s'],
        ['field', 0, 2, 'expect u16 7 at 0'],
        ['field', 9, 2, 'first = "1000"'],
        ['frame', 13, 13, 'recv frame u16 after 4 timeout 3s'],
        ['field', 13, 2, 'expect u16 7 at 0'],
        ['field', 22, 2, 'first = "1000"'],
      ]);
      await vscode.commands.executeCommand('socketLab.showTraffic', client);
      await until('the traffic page to show it', () => (api.trafficView().ready && api.trafficView().focus === client ? true : undefined), 20_000);
      console.log(`[webview] select #mode ${JSON.stringify('hex')}`);
      await new Promise((r) => setTimeout(r, 800));
      console.log('[screenshot] traffic-view-frames');
      await new Promise((r) => setTimeout(r, 1500));
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    } finally {
      server.kill();
    }
  });
  it('a relay in front of python3 -m http.server: the tree lists the upstream leg under the relayed connection, and the view shows both legs', async function () {
    this.timeout(60_000);
    const root = mkdtempSync(join(tmpdir(), 'socket-lab-relay-'));
    const server = spawn('python3', ['-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const port = await until('http.server to listen', () => /Serving HTTP on 127\.0\.0\.1 port (\d+)/.exec(out)?.[1], 15_000).then(Number);
      const doc = await vscode.workspace.openTextDocument({
        language: 'sock',
        content: `### relay\nlisten tcp 127.0.0.1:0 as relay\nforward tcp 127.0.0.1:${port}\n\n### through the relay\nconnect tcp {{relay}}\nsend "GET / HTTP/1.0\\r\\n\\r\\n"\nrecv all\nexpect /200 OK/\n`,
      });
      await vscode.window.showTextDocument(doc);
      const result = await vscode.commands.executeCommand<{ passed: number; failed: number; errors: number }>('socketLab.runFile', doc.uri);
      assert.deepEqual(result, { passed: 1, failed: 0, errors: 0, refused: new Map() });
      const leg = api.endpoints().find((r) => r.via !== undefined && r.remote === `127.0.0.1:${port}`);
      assert.ok(leg, 'the upstream leg is listed');
      const listener = api.endpoints().find((r) => r.id === api.endpoints().find((a) => a.id === leg.via)?.listener);
      assert.ok(listener, 'the relayed connection was accepted by the relay');
      const node = api.tree().find((n) => n.id === listener.id);
      const relayed = node?.children.find((c) => c.id === leg.via);
      assert.deepEqual(relayed?.children.map((c) => [c.id, c.label]), [[leg.id, `TCP → 127.0.0.1:${port}`]]);
      assert.match(relayed?.children[0]?.description ?? '', /^upstream · (half-closed|closed) · ↓\d+ B ↑18 B/, 'the 18-byte request went upstream');
      await vscode.commands.executeCommand('socketLab.showTraffic', listener.id);
      await until('the traffic page to show the relay', () => (api.trafficView().ready && api.trafficView().focus === listener.id ? true : undefined), 20_000);
      await vscode.commands.executeCommand('socketLab.revealTree');
      await new Promise((r) => setTimeout(r, 800));
      console.log('[screenshot] relay');
      await new Promise((r) => setTimeout(r, 1500));
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    } finally {
      server.kill();
      rmSync(root, { recursive: true, force: true });
    }
  });
  it('a responder: the tree lists its rules with their hits, and saving the file reloads the rules for a connection that stays open', async function () {
    this.timeout(60_000);
    const file = join(dir, 'mock.sock');
    writeFileSync(file, '### mock\nlisten tcp 127.0.0.1:0 as mock\nmessages line\non /^PING/\n  send "+PONG\\n"\nend\non other\n  send "-ERR\\n"\nend\n');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('socketLab.runBlock', doc.uri, 1);
    const listener = await until('the mock to listen', () => api.endpoints().find((r) => r.kind === 'listener' && r.state === 'listening' && api.tree().find((n) => n.id === r.id)?.children.some((c) => c.id.startsWith('rule:'))));
    const port = Number(listener.local.slice(listener.local.lastIndexOf(':') + 1));
    const client = connect({ host: '127.0.0.1', port });
    let got = '';
    client.on('data', (d: Buffer) => (got += d.toString()));
    try {
      client.write('PING\nHELLO\nPING\n');
      await until('three answers', () => (got === '+PONG\n-ERR\n+PONG\n' ? true : undefined), 10_000);
      const rules = () => api.tree().find((n) => n.id === listener.id)?.children.filter((c) => c.id.startsWith('rule:')).map((c) => `${c.label} · ${c.description}`);
      await until('the hits in the tree', () => (rules()?.join('|') === 'on /^PING/ · 2 hits|on other · 1 hit' ? true : undefined), 5000);
      await vscode.commands.executeCommand('socketLab.clearClosed');
      await vscode.commands.executeCommand('socketLab.revealTree');
      await new Promise((r) => setTimeout(r, 500));
      console.log('[screenshot] responder-rules');
      await new Promise((r) => setTimeout(r, 1000));

      // The user changes the answer and saves: the same connection answers by the new rule.
      const edit = new vscode.WorkspaceEdit();
      const line = doc.lineAt(4);
      edit.replace(doc.uri, line.range, '  send "+PONG again\\n"');
      await vscode.workspace.applyEdit(edit);
      await doc.save();
      client.write('PING\n');
      await until('the new answer on the same connection', () => (got.endsWith('+PONG again\n') ? true : undefined), 10_000);
      assert.equal(api.endpoints().filter((r) => r.listener === listener.id).length, 1, 'one connection all along');
      assert.equal(api.endpoints().find((r) => r.listener === listener.id)?.state, 'open');
    } finally {
      client.destroy();
      await vscode.commands.executeCommand('socketLab.stopBlock', doc.uri, 1);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
