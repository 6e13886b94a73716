import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';
import type { EndpointRecord } from '../../src/net/registry';
import { until } from '../shared/until';

const ROOT = resolve(__dirname, '..', '..');
let api: SocketLabApi;


function record(id: string): EndpointRecord | undefined {
  return api.endpoints().find((r) => r.id === id);
}

/** Captures error notifications: the only UI these tests stub besides input boxes. */
function captureErrors(): { messages: string[]; restore: () => void } {
  const original = vscode.window.showErrorMessage;
  const messages: string[] = [];
  (vscode.window as { showErrorMessage: unknown }).showErrorMessage = (message: string) => {
    messages.push(message);
    return Promise.resolve(undefined);
  };
  return { messages, restore: () => ((vscode.window as { showErrorMessage: unknown }).showErrorMessage = original) };
}

function runPython(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      res({ code, stdout, stderr });
    });
  });
}

function portOf(r: EndpointRecord): number {
  return Number(r.local.slice(r.local.lastIndexOf(':') + 1));
}

describe('connections from the palette and the tree', () => {
  before(async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    api = await ext.activate();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('socketLab.stopAll');
  });

  it("the tutorial's Python client gets the greeting sent from a listener started from the palette", async () => {
    const id = await vscode.commands.executeCommand<string>('socketLab.startTcpListener', '127.0.0.1:0');
    const listener = await until('the listener', () => record(id));
    assert.equal(listener.state, 'listening');
    assert.match(listener.local, /^127\.0\.0\.1:\d+$/, 'listeners bind 127.0.0.1');
    const client = runPython([join(ROOT, 'test', 'peers', 'client.py'), String(portOf(listener))]);
    const accepted = await until('the accepted connection', () => api.endpoints().find((r) => r.listener === id));
    assert.equal(await vscode.commands.executeCommand('socketLab.send', accepted.id, 'Thank you for connecting'), 24);
    await vscode.commands.executeCommand('socketLab.close', accepted.id);
    const out = await client;
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), "b'Thank you for connecting'");
    await until('the closed state', () => (record(accepted.id)?.state === 'closed' ? true : undefined));
  });

  it('the tree shows a listener with its two accepted connections and their byte counts, and updates on close', async () => {
    const id = await vscode.commands.executeCommand<string>('socketLab.startTcpListener', '0');
    const port = portOf(await until('the listener', () => record(id)));
    const clients: Socket[] = [];
    for (const text of ['hello', 'world!']) {
      const c = connect({ host: '127.0.0.1', port });
      c.on('error', () => undefined);
      await new Promise((r) => c.once('connect', r));
      c.write(text);
      clients.push(c);
    }
    const snapshotNode = () => api.tree().find((n) => n.id === id);
    const node = await until('two children with their bytes', () => {
      const n = snapshotNode();
      return n && n.children.length === 2 && n.children.every((c) => /↓[56] B/.test(c.description)) && /↓11 B/.test(n.description) ? n : undefined;
    }, 8000);
    assert.match(node.label, new RegExp(`^TCP 127\\.0\\.0\\.1:${port}$`));
    assert.match(node.description, /^↓11 B ↑0 B · 2 accepted$/);
    assert.deepEqual(node.children.map((c) => c.description).sort(), ['↓5 B ↑0 B', '↓6 B ↑0 B']);
    assert.deepEqual(node.children.map((c) => c.contextValue), ['accepted.open', 'accepted.open']);
    // Send to both children from the listener's context menu (the broker).
    assert.equal(await vscode.commands.executeCommand('socketLab.sendToAll', id, 'hi all\\n'), 2);
    // The peer half-closes: the listener closes its side in turn, as nc does.
    const ended = new Promise((r) => clients[0].once('end', r));
    clients[0].resume();
    clients[0].end();
    await ended;
    await until('the first connection closed in the tree', () => (snapshotNode()?.children.some((c) => c.description.startsWith('closed · ↓5 B ↑7 B') && c.contextValue === 'accepted.closed') ? true : undefined), 8000);
    clients.forEach((c) => c.destroy());
  });

  it('with socketLab.keepHalfOpen a half-closed connection stays open for sending', async () => {
    const config = vscode.workspace.getConfiguration('socketLab');
    await config.update('keepHalfOpen', true, vscode.ConfigurationTarget.Global);
    try {
      const id = await vscode.commands.executeCommand<string>('socketLab.startTcpListener', '127.0.0.1:0');
      const c = connect({ host: '127.0.0.1', port: portOf(await until('the listener', () => record(id))) });
      c.on('error', () => undefined);
      let got = '';
      c.on('data', (d: Buffer) => (got += d.toString()));
      await new Promise((r) => c.once('connect', r));
      c.end();
      const half = await until('the half-closed connection', () => api.endpoints().find((r) => r.listener === id && r.state === 'half-closed'));
      assert.equal(await vscode.commands.executeCommand('socketLab.send', half.id, 'after FIN'), 9);
      await until('the bytes at the client', () => (got === 'after FIN' ? true : undefined));
      c.destroy();
    } finally {
      await config.update('keepHalfOpen', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a listener at socketLab.maxConnections turns clients away with one notification, not one per client', async () => {
    const config = vscode.workspace.getConfiguration('socketLab');
    await config.update('maxConnections', 1, vscode.ConfigurationTarget.Global);
    const original = vscode.window.showWarningMessage;
    const warnings: string[] = [];
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = (m: string, ...items: string[]) => (warnings.push(`${m} [${items.join('|')}]`), Promise.resolve(undefined));
    const clients: Socket[] = [];
    try {
      const id = await vscode.commands.executeCommand<string>('socketLab.startTcpListener', '127.0.0.1:0');
      const port = portOf(await until('the listener', () => record(id)));
      for (let i = 0; i < 4; i++) {
        const c = connect({ host: '127.0.0.1', port });
        c.on('error', () => undefined);
        clients.push(c);
        await new Promise((r) => c.once('connect', r));
      }
      const node = await until('three turned away in the tree', () => api.tree().find((n) => n.id === id && /3 turned away/.test(n.description)), 8000);
      assert.match(node.description, /1 accepted, 3 turned away$/);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], new RegExp(`^Socket Lab: listener ${id} \\(tcp 127\\.0\\.0\\.1:${port}\\) turned away 127\\.0\\.0\\.1:\\d+: it is at its limit of 1 connection \\(socketLab\\.maxConnections\\)\\. .* \\[Show Log\\]$`));
    } finally {
      (vscode.window as { showWarningMessage: unknown }).showWarningMessage = original;
      clients.forEach((c) => c.destroy());
      await config.update('maxConnections', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('bad input gives a clear message and leaves the extension working: port in use, refused, invalid host:port', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const busy = (holder.address() as { port: number }).port;
    const errors = captureErrors();
    try {
      assert.equal(await vscode.commands.executeCommand('socketLab.startTcpListener', `127.0.0.1:${busy}`), undefined);
      await new Promise<void>((r) => holder.close(() => r()));
      assert.equal(await vscode.commands.executeCommand('socketLab.connectTcp', `127.0.0.1:${busy}`), undefined);
      assert.equal(await vscode.commands.executeCommand('socketLab.connectTcp', 'localhost'), undefined);
      assert.equal(await vscode.commands.executeCommand('socketLab.connectTcp', '::1:80'), undefined);
    } finally {
      errors.restore();
    }
    assert.equal(errors.messages.length, 4, errors.messages.join('\n'));
    assert.match(errors.messages[0], /^Socket Lab: listen tcp 127\.0\.0\.1:\d+: address already in use \(EADDRINUSE\)$/);
    assert.match(errors.messages[1], /^Socket Lab: connect tcp 127\.0\.0\.1:\d+: connection refused: nothing is listening there \(ECONNREFUSED\)$/);
    assert.match(errors.messages[2], /expected HOST:PORT, e\.g\. 127\.0\.0\.1:8080/);
    assert.match(errors.messages[3], /an IPv6 address needs brackets, e\.g\. \[::1\]:8080/);
    // Still working: a listener starts and a client connects to it.
    const id = await vscode.commands.executeCommand<string>('socketLab.startTcpListener', '127.0.0.1:0');
    const port = portOf(await until('the listener', () => record(id)));
    const client = await vscode.commands.executeCommand<string>('socketLab.connectTcp', `127.0.0.1:${port}`);
    assert.equal((await until('the client', () => record(client))).state, 'open');
  });

  it('pickers take what is typed: an address checked as you type, a free port offered, running listeners first for Connect, a payload typed into Send', async function () {
    this.timeout(40_000);
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    const keys = (...actions: string[]): void => actions.forEach((a) => console.log(`[keyboard] ${a}`));
    const open = <T>(p: Thenable<T>): Promise<string> => Promise.race([Promise.resolve(p).then(() => 'done'), sleep(400).then(() => 'open')]);
    // Listen: type a bad address; Enter keeps the picker open with the problem under the text.
    const listening = vscode.commands.executeCommand<string>('socketLab.startUdpListener');
    await sleep(800);
    keys('type ::1:80', 'press Enter');
    await sleep(1200);
    console.log('[screenshot] picker-typed-problem');
    await sleep(600);
    assert.equal(await open(listening), 'open', 'Enter on an address with a problem does nothing');
    keys('press Control+A', 'type 127.0.0.1:0', 'press Enter');
    const listener = await listening;
    assert.equal(record(listener)?.state, 'listening');
    // Connect: the running listener comes first; Enter takes it.
    const connecting = vscode.commands.executeCommand<string>('socketLab.connectUdp');
    await sleep(800);
    console.log('[screenshot] picker-running-listeners');
    await sleep(600);
    keys('press Enter');
    const client = await connecting;
    assert.equal(record(client)?.remote, record(listener)?.local, 'the client connected to the running listener');
    // Send: typed text is the payload, escapes and all; no picker in between.
    const sending = vscode.commands.executeCommand<number>('socketLab.send', client);
    await sleep(800);
    keys('type hello\\n', 'press Enter');
    assert.equal(await sending, 6);
    await until('the datagram at the listener', () => (record(listener)?.bytesIn === 6 ? true : undefined));
  });

  it('UDP and Unix clients from the palette talk to listeners from the palette', async () => {
    const udpListener = await vscode.commands.executeCommand<string>('socketLab.startUdpListener', '127.0.0.1:0');
    const udpPort = portOf(await until('the UDP listener', () => record(udpListener)));
    const udpClient = await vscode.commands.executeCommand<string>('socketLab.connectUdp', `127.0.0.1:${udpPort}`);
    assert.equal(await vscode.commands.executeCommand('socketLab.send', udpClient, 'hex 01 02 03'), 3);
    await until('the datagram at the listener', () => (record(udpListener)?.bytesIn === 3 ? true : undefined));
    const path = join(tmpdir(), `socket-lab-it-client-${process.pid}.socket`);
    const unixListener = await vscode.commands.executeCommand<string>('socketLab.startUnixListener', path);
    const unixClient = await vscode.commands.executeCommand<string>('socketLab.connectUnix', path);
    assert.equal(await vscode.commands.executeCommand('socketLab.send', unixClient, 'base64 aGVsbG8='), 5);
    await until('5 bytes over the Unix socket', () => (record(unixListener)?.bytesIn === 5 ? true : undefined));
    assert.equal(record(unixClient)?.transport, 'unix');
  });

  it('a UDP listener lists its peers with their counters; Send replies to one, Send to All reaches each', async () => {
    const id = await vscode.commands.executeCommand<string>('socketLab.startUdpListener', '127.0.0.1:0');
    const port = portOf(await until('the UDP listener', () => record(id)));
    const peers = [createSocket('udp4'), createSocket('udp4')];
    const got: string[][] = [[], []];
    try {
      for (const [i, p] of peers.entries()) {
        p.on('message', (m) => got[i].push(m.toString()));
        await new Promise<void>((r) => p.send(i === 0 ? 'ping' : 'ping two', port, '127.0.0.1', () => r()));
      }
      const node = await until('two peers under the listener', () => api.tree().find((n) => n.id === id && n.children.length === 2 && /↓12 B/.test(n.description)), 8000);
      assert.match(node.description, /^↓12 B ↑0 B · 2 peers$/);
      assert.deepEqual(node.children.map((c) => [c.label, c.description, c.contextValue]), [
        [`127.0.0.1:${peers[0].address().port}`, '↓4 B ↑0 B', 'peer.open'],
        [`127.0.0.1:${peers[1].address().port}`, '↓8 B ↑0 B', 'peer.open'],
      ]);
      assert.equal(await vscode.commands.executeCommand('socketLab.send', node.children[0].id, 'pong'), 4);
      await until('the reply at the first peer', () => (got[0].join() === 'pong' ? true : undefined));
      assert.equal(await vscode.commands.executeCommand('socketLab.sendToAll', id, 'to all'), 2);
      await until('both peers to get it', () => (got[0].join() === 'pong,to all' && got[1].join() === 'to all' ? true : undefined));
      await until('the counters', () => api.tree().find((n) => n.id === id && n.children[0]?.description === '↓4 B ↑10 B' && n.children[1]?.description === '↓8 B ↑6 B'), 8000);
    } finally {
      peers.forEach((p) => p.close());
    }
  });

  it('UDP and Unix listeners start from the palette, and stop all closes everything', async () => {
    const listening = (): number => process.getActiveResourcesInfo().filter((r) => ['TCPServerWrap', 'UDPWrap', 'PipeServerWrap'].includes(r)).length;
    const baseline = listening();
    const udp = await vscode.commands.executeCommand<string>('socketLab.startUdpListener', '127.0.0.1:0');
    const path = join(tmpdir(), `socket-lab-it-${process.pid}.socket`);
    const unix = await vscode.commands.executeCommand<string>('socketLab.startUnixListener', path);
    assert.equal(record(udp)?.state, 'listening');
    assert.equal(record(unix)?.state, 'listening');
    assert.ok(existsSync(path));
    await vscode.commands.executeCommand('socketLab.stopAll');
    await until('everything closed', () => (api.endpoints().every((r) => r.state === 'closed' || r.state === 'error') ? true : undefined));
    assert.equal(existsSync(path), false, 'the Unix socket file is removed');
    await until('the listening sockets released', () => (listening() <= baseline ? true : undefined));
    assert.ok(listening() <= baseline, 'no listening socket of ours is left open');
  });
});
