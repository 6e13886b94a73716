// The socket manager: what listeners and clients opened from the palette do with real peers.
import { strict as assert } from 'node:assert';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { SocketManager, type ManagerOptions } from '../../src/net/manager';
import { EndpointRegistry } from '../../src/net/registry';
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
