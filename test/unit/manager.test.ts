// The socket manager: what listeners and clients opened from the palette do with real peers.
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { SocketManager, type ManagerOptions } from '../../src/net/manager';
import { EndpointRegistry, UDP_PEERS_LISTED, udpPeerId } from '../../src/net/registry';
import { TrafficBus } from '../../src/net/traffic';
import { until } from '../shared/until';
import { PEERS, start } from './helpers';

function setUp(options: ManagerOptions): { bus: TrafficBus; registry: EndpointRegistry; manager: SocketManager; done: () => Promise<void> } {
  const bus = new TrafficBus();
  const registry = new EndpointRegistry(bus);
  const manager = new SocketManager(bus, () => options);
  return {
    bus,
    registry,
    manager,
    done: async () => {
      await manager.dispose();
      registry.dispose();
    },
  };
}

function portOf(registry: EndpointRegistry, id: string): number {
  const local = registry.get(id)?.local ?? '';
  return Number(local.slice(local.lastIndexOf(':') + 1));
}

async function rawClient(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  return s;
}

describe('palette listeners and half-closed clients', () => {
  it('close their side when a client half-closes, so 5 clients in a row each get served under max-conns 2', async () => {
    const { registry, manager, done } = setUp({ timeoutMs: 3000, maxConnections: 2 });
    try {
      const id = await manager.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 });
      const port = portOf(registry, id);
      for (let i = 0; i < 5; i++) {
        // The tutorial's client: sends, shuts down its sending side, reads until the listener closes.
        const out = await start('python3', [join(PEERS, 'client.py'), String(port), '127.0.0.1', `hello ${i}`], { timeoutMs: 8000 }).exited;
        assert.equal(out.code, 0, `client ${i}: ${out.stderr}`);
        assert.equal(out.stdout.trim(), "b''");
      }
      const listener = registry.get(id);
      assert.equal(listener?.accepted, 5);
      assert.equal(listener?.dropped, 0, 'no client was turned away');
      await until('every connection closed', () => (registry.childrenOf(id).every((c) => c.state === 'closed') ? true : undefined));
    } finally {
      await done();
    }
  });

  it('flush what they were sending before they close', async () => {
    const { registry, manager, done } = setUp({ timeoutMs: 5000, maxConnections: 10 });
    try {
      const id = await manager.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 });
      const client = await rawClient(portOf(registry, id));
      client.pause();
      const accepted = await until('the accepted connection', () => registry.childrenOf(id)[0]);
      const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
      const sending = manager.send(accepted.id, big);
      client.end(); // the client half-closes while 8 MiB are still on their way to it
      const chunks: Buffer[] = [];
      client.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise((r) => client.once('end', r));
      client.resume();
      await ended;
      await sending;
      assert.equal(Buffer.concat(chunks).length, big.length, 'every byte arrived before the FIN');
      await until('the connection closed', () => (registry.get(accepted.id)?.state === 'closed' ? true : undefined));
      client.destroy();
    } finally {
      await done();
    }
  });

  it('keep them half-open with keepHalfOpen, and can still send on them', async () => {
    const { registry, manager, done } = setUp({ timeoutMs: 3000, maxConnections: 10, keepHalfOpen: true });
    try {
      const id = await manager.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 });
      const client = await rawClient(portOf(registry, id));
      let received = '';
      client.on('data', (d: Buffer) => (received += d.toString()));
      const accepted = await until('the accepted connection', () => registry.childrenOf(id)[0]);
      client.end();
      await until('the half-close', () => (registry.get(accepted.id)?.state === 'half-closed' ? true : undefined));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(registry.get(accepted.id)?.state, 'half-closed');
      await manager.send(accepted.id, Buffer.from('still here'));
      await until('the bytes at the client', () => (received === 'still here' ? true : undefined));
      const ended = new Promise((r) => client.once('end', r));
      await manager.close(accepted.id);
      await ended;
      client.destroy();
    } finally {
      await done();
    }
  });
});

describe('palette UDP listeners and their peers', () => {
  it('list each sender as a peer with its counters, reply to one (sendto), and send to all of them', async () => {
    const { registry, manager, done } = setUp({ timeoutMs: 3000, maxConnections: 10 });
    try {
      const id = await manager.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
      const port = String(portOf(registry, id));
      // Python's socket module: sendto the listener, then print what recvfrom gets back.
      const first = start('python3', [join(PEERS, 'udp.py'), 'send', port, 'hello from one'], { timeoutMs: 8000 });
      const second = start('python3', [join(PEERS, 'udp.py'), 'send', port, 'hi'], { timeoutMs: 8000 });
      const peers = await until('two peers under the listener', () => {
        const c = registry.childrenOf(id);
        return c.length === 2 && c.every((p) => p.bytesIn > 0) ? c : undefined;
      });
      const one = peers.find((p) => p.bytesIn === 14);
      const two = peers.find((p) => p.bytesIn === 2);
      assert.ok(one && two, JSON.stringify(peers));
      assert.equal(one.kind, 'peer');
      assert.match(one.remote ?? '', /^127\.0\.0\.1:\d+$/);
      assert.equal(one.id, udpPeerId(id, one.remote ?? ''));
      assert.ok(manager.canSend(one.id));
      await manager.send(one.id, Buffer.from('reply to one'));
      assert.equal((await first.exited).stdout.trim(), "b'reply to one'");
      assert.equal(await manager.sendToAll(id, Buffer.from('to all')), 2);
      assert.equal((await second.exited).stdout.trim(), "b'to all'");
      assert.equal(registry.get(one.id)?.bytesOut, 18);
      assert.equal(registry.get(two.id)?.bytesOut, 6);
      assert.equal(registry.get(id)?.bytesOut, 24);
      assert.equal(registry.get(id)?.accepted, 2, 'the listener counts its peers');
      assert.deepEqual(registry.counts(), { listeners: 1, connections: 0 }, 'peers are not connections');
      // Only a peer the listener received from is a send target: the page's messages are untrusted.
      await assert.rejects(manager.send(udpPeerId(id, '127.0.0.1:9'), Buffer.from('x')), /is not an open connection/);
      await manager.close(id);
      await until('the peers closed with their listener', () => (registry.childrenOf(id).every((p) => p.state === 'closed') ? true : undefined));
      assert.equal(manager.canSend(one.id), false);
    } finally {
      await done();
    }
  });

  it(`list at most ${UDP_PEERS_LISTED} peers, however many senders there are`, async () => {
    const { registry, manager, done } = setUp({ timeoutMs: 3000, maxConnections: 10 });
    const senders = Array.from({ length: UDP_PEERS_LISTED + 20 }, () => createSocket('udp4'));
    try {
      const id = await manager.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
      const port = portOf(registry, id);
      // In batches: a burst of 276 would overflow the socket's receive buffer (about 256 small datagrams).
      for (let i = 0; i < senders.length; i += 64) {
        for (const s of senders.slice(i, i + 64)) await new Promise<void>((r) => s.send('x', port, '127.0.0.1', () => r()));
        const sent = Math.min(i + 64, senders.length);
        await until(`${sent} datagrams counted`, () => (registry.get(id)?.bytesIn === sent ? true : undefined));
      }
      const listed = registry.childrenOf(id);
      assert.equal(listed.length, UDP_PEERS_LISTED);
      assert.equal(listed.filter((p) => manager.canSend(p.id)).length, UDP_PEERS_LISTED);
      assert.equal(await manager.sendToAll(id, Buffer.from('y')), UDP_PEERS_LISTED);
    } finally {
      senders.forEach((s) => s.close());
      await done();
    }
  });
});
