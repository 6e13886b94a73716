import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { SocketManager } from '../../src/net/manager';
import { endpointLabel, EndpointRegistry } from '../../src/net/registry';
import { TrafficBus } from '../../src/net/traffic';
import { formatTrafficLine } from '../../src/sock/transcript';
import { PEERS, runSock, start } from './helpers';
import { join } from 'node:path';
import { until } from '../shared/until';


describe('the endpoint registry and the socket manager (what the tree and commands use)', () => {
  it('follows a listener, its accepted connections and a client: states, byte counters, closes', async () => {
    const bus = new TrafficBus();
    const registry = new EndpointRegistry(bus);
    const lines: string[] = [];
    bus.subscribe((e) => lines.push(formatTrafficLine(e, 40)));
    const manager = new SocketManager(bus, () => ({ timeoutMs: 3000, maxConnections: 100 }));
    const id = await manager.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 });
    const port = Number(registry.get(id)?.local.split(':')[1]);
    const py = start('python3', [join(PEERS, 'client.py'), String(port)]);
    const accepted = await until('an accepted connection', () => registry.childrenOf(id)[0]);
    await manager.send(accepted.id, Buffer.from('Thank you for connecting'));
    await manager.close(accepted.id);
    assert.equal((await py.exited).stdout.trim(), "b'Thank you for connecting'");
    const raw = connect({ host: '127.0.0.1', port });
    await new Promise((r) => raw.once('connect', r));
    raw.write('12345');
    await until('5 bytes in', () => (registry.get(id)?.bytesIn === 5 ? true : undefined));
    const l = registry.get(id);
    assert.equal(l?.accepted, 2);
    assert.equal(l?.bytesOut, 24);
    assert.deepEqual(registry.counts(), { listeners: 1, connections: 1 });
    assert.equal(registry.get(accepted.id)?.state, 'closed');
    // The client half-closes: the palette listener closes its side in turn.
    raw.end();
    await until('the connection closed', () => (registry.childrenOf(id).every((c) => c.state === 'closed') ? true : undefined));
    const client = await manager.connect({ transport: 'tcp', host: '127.0.0.1', port });
    assert.equal(registry.get(client)?.kind, 'client');
    await manager.closeAll();
    raw.destroy();
    await until('everything closed', () => (registry.all().every((r) => r.state === 'closed') ? true : undefined));
    registry.clearClosed();
    assert.deepEqual(registry.all(), []);
    assert.ok(lines.some((x) => /^\[c\d+\] → 24 bytes {2}"Thank you for connecting"$/.test(x)), lines.join('\n'));
    assert.ok(lines.some((x) => /^\[l\d+\] listening on tcp 127\.0\.0\.1:\d+$/.test(x)));
    await manager.dispose();
    registry.dispose();
  });

  it("keeps the names a .sock file gives (listen … as, connect … as) and labels by them first, for every view", async () => {
    const bus = new TrafficBus();
    const registry = new EndpointRegistry(bus);
    const r = await runSock('### greeter\nlisten tcp 127.0.0.1:0 as greeter\nsend "hi"\nclose\n### udp\nlisten udp 127.0.0.1:0 as echo\necho\n### session\nconnect tcp {{greeter}} as session keep\nrecv 2\nexpect "hi"\n### anonymous\nconnect udp {{echo}}\nsend "x"\n', { bus });
    assert.equal(r.exitCode, 0);
    const byName = (n: string) => registry.all().find((x) => x.name === n);
    const greeter = byName('greeter');
    assert.equal(greeter?.kind, 'listener');
    assert.equal(endpointLabel(greeter!), `greeter · TCP ${greeter?.local}`);
    assert.equal(byName('echo')?.transport, 'udp');
    const session = byName('session');
    assert.deepEqual([session?.kind, endpointLabel(session!)], ['client', `session · TCP → ${greeter?.local}`]);
    const anonymous = registry.all().find((x) => x.kind === 'client' && x.transport === 'udp');
    assert.equal(endpointLabel(anonymous!), `UDP → ${byName('echo')?.local}`, 'no name: the endpoint alone');
  });

  it('refuses to send to what is not an open connection, with a clear error', async () => {
    const bus = new TrafficBus();
    const manager = new SocketManager(bus, () => ({ timeoutMs: 1000, maxConnections: 1 }));
    await assert.rejects(manager.send('c999', Buffer.from('x')), /c999 is not an open connection/);
    const udp = await manager.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
    await assert.rejects(manager.send(udp, Buffer.from('x')), /is a UDP listener/);
    await manager.dispose();
  });
});
