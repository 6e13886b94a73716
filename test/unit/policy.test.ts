import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocketLabError } from '../../src/net/errors';
import { StreamListener } from '../../src/net/listener';
import { AddressFilter, parseAddressPattern } from '../../src/net/policy';
import { parseSock } from '../../src/sock/parser';
import { TrafficBus, type TrafficEvent } from '../../src/net/traffic';
import { listenerPort, runSock, start } from './helpers';

/** A raw Node client: resolves with what it read until the listener closed or reset it. */
function rawClient(port: number, opts: { localAddress?: string; holdMs?: number } = {}): Promise<{ data: string; error?: string; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    let data = '';
    let error: string | undefined;
    socket.on('data', (d) => (data += d.toString()));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    socket.on('close', () => resolve({ data, ...(error ? { error } : {}), socket }));
  });
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('listener policy', () => {
  it('max-conns 1 turns a second client away while the first is open, and serves the next one after', async () => {
    const r = await runSock('### one at a time\nlisten tcp 127.0.0.1:0 as one\nmax-conns 1\nsend "welcome"\nrecv all timeout 5s\n', {
      during: async (events) => {
        const port = listenerPort(events, 'one');
        const first = connect({ host: '127.0.0.1', port });
        first.on('error', () => undefined);
        await new Promise((res) => first.once('data', res));
        const second = await rawClient(port);
        assert.equal(second.data, '', 'the second client got nothing from the listener');
        first.end();
        await new Promise((res) => first.once('close', res));
        const third = await new Promise<string>((res) => {
          const c = connect({ host: '127.0.0.1', port }, () => c.end());
          let d = '';
          c.on('data', (x) => (d += x.toString()));
          c.on('close', () => res(d));
        });
        assert.equal(third, 'welcome', 'the slot was freed when the first client left');
      },
    });
    const drops = r.events.filter((e) => e.type === 'traffic' && e.event.type === 'drop');
    assert.equal(drops.length, 1);
    assert.ok(drops[0].type === 'traffic' && drops[0].event.type === 'drop' && drops[0].event.reason === 'max-conns');
  });

  it('1,000 connect/RST cycles with max-conns 1 leak no slot and no file descriptor', async function () {
    this.timeout(60_000);
    const bus = new TrafficBus();
    let served = 0;
    const listener = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, { maxConnections: 1 }, bus, (conn) => {
      served++;
      void conn.recv(undefined, { timeoutMs: 5000 }).then(
        () => conn.close(),
        () => conn.destroy(),
      );
    });
    const port = listener.endpoint.transport === 'tcp' ? listener.endpoint.port : 0;
    // Each cycle ends when the listener has seen the accepted connection close (or dropped it),
    // so a slot that was not given back shows up as a drop in the next cycle.
    let settled: (() => void) | undefined;
    bus.subscribe((e) => {
      if ((e.type === 'close' && e.id !== listener.id) || e.type === 'drop') settled?.();
    });
    const baseline = openFds();
    for (let i = 0; i < 1000; i++) {
      const done = new Promise<void>((res) => (settled = res));
      const c = connect({ host: '127.0.0.1', port }, () => c.resetAndDestroy());
      c.on('error', () => undefined);
      await done;
    }
    assert.equal(listener.connections.size, 0, 'every reset connection left its slot');
    assert.equal(listener.dropped, 0, 'no client was turned away: each reset freed its slot');
    const after = await new Promise<string>((res) => {
      const c = connect({ host: '127.0.0.1', port }, () => c.end('still serving'));
      c.on('close', () => res('closed'));
      c.on('error', (e: NodeJS.ErrnoException) => res(e.code ?? 'error'));
    });
    assert.equal(after, 'closed');
    assert.equal(served, 1001);
    await listener.close();
    assert.ok(openFds() <= baseline, `open file descriptors ${openFds()} > ${baseline} before the cycles`);
  });

  it('allow and deny lists: deny wins, and a denied peer is reset with a drop event', async () => {
    const bus = new TrafficBus();
    const events: TrafficEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const filter = new AddressFilter({ allow: ['127.0.0.0/8'], deny: ['127.0.0.2'] });
    const listener = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, { filter }, bus, (conn) => void conn.send(Buffer.from('hi'), { timeoutMs: 1000 }).then(() => conn.close()));
    try {
      const port = listener.endpoint.transport === 'tcp' ? listener.endpoint.port : 0;
      assert.equal((await rawClient(port, { localAddress: '127.0.0.1' })).data, 'hi');
      const denied = await rawClient(port, { localAddress: '127.0.0.2' });
      assert.equal(denied.data, '');
      assert.equal(denied.error, 'ECONNRESET');
      assert.equal((await rawClient(port, { localAddress: '127.0.0.3' })).data, 'hi', 'allowed by the subnet');
      const drop = events.find((e) => e.type === 'drop');
      assert.ok(drop?.type === 'drop' && drop.reason === 'denied' && drop.remote.startsWith('127.0.0.2:'));
    } finally {
      await listener.close();
    }
    assert.equal(new AddressFilter({ allow: ['::1'] }).permits('::ffff:127.0.0.1'), false);
    assert.equal(new AddressFilter({ allow: ['127.0.0.1'] }).permits('::ffff:127.0.0.1'), true, 'IPv4-mapped peers match IPv4 lists');
    assert.throws(() => parseAddressPattern('10.0.0.0/33'), (e: unknown) => e instanceof SocketLabError && e.code === 'EBADADDR');
  });

  it('a UDP listener drops datagrams from a denied sender', async () => {
    let answered = '';
    const r = await runSock('### udp\nlisten udp 127.0.0.1:0 as u\ndeny 127.0.0.2\necho\n', {
      during: async (events) => {
        const port = listenerPort(events, 'u');
        for (const source of ['127.0.0.2', '127.0.0.1']) {
          const s = createSocket('udp4');
          await new Promise<void>((res) => s.bind(0, source, () => res()));
          const reply = new Promise<string>((res) => {
            const timer = setTimeout(() => res('(no reply)'), 500);
            s.once('message', (m) => {
              clearTimeout(timer);
              res(m.toString());
            });
          });
          s.send(`from ${source}`, port, '127.0.0.1');
          answered += `${source}=${await reply};`;
          s.close();
        }
      },
    });
    assert.equal(answered, '127.0.0.2=(no reply);127.0.0.1=from 127.0.0.1;');
    assert.ok(r.events.some((e) => e.type === 'traffic' && e.event.type === 'drop' && e.event.reason === 'denied'));
  });

  it('idle-timeout really destroys a connection that stays silent', async () => {
    let clientSaw = '';
    const r = await runSock('### idle\nlisten tcp 127.0.0.1:0 as idle\nidle-timeout 200ms\nrecv timeout 5s\n', {
      during: async (events) => {
        const port = listenerPort(events, 'idle');
        const t0 = Date.now();
        const py = await start('python3', ['-c', `import socket; s=socket.create_connection(('127.0.0.1', ${port})); s.settimeout(5); print(repr(s.recv(10)))`]).exited;
        clientSaw = `${py.stdout.trim()} after ${Date.now() - t0 >= 150 ? '≥150' : '<150'} ms`;
      },
    });
    assert.equal(clientSaw, "b'' after ≥150 ms", 'the Python client saw the connection closed after the idle time');
    const err = r.events.find((e) => e.type === 'traffic' && e.event.type === 'error' && e.event.code === 'ETIMEDOUT');
    assert.ok(err && err.type === 'traffic' && err.event.type === 'error' && /idle for 200 ms/.test(err.event.message));
  });

  it('remove-stale replaces a stale Unix socket file, but never a live listener', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-stale-'));
    const path = join(dir, 'lab.socket');
    await start('python3', ['-c', `import socket,os; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path)}); os._exit(0)`]).exited;
    const without = await runSock('### a\nlisten unix lab.socket\nclose\n', { baseDir: dir });
    assert.match(without.steps[0].detail ?? '', /a stale socket file is in the way .* add remove-stale/);
    const withIt = await runSock('### a\nlisten unix lab.socket as u\nremove-stale\nclose\n### b\nlisten unix lab.socket\nremove-stale\nclose\n', { baseDir: dir });
    assert.equal(withIt.steps[0].status, 'ok', JSON.stringify(withIt.steps[0]));
    assert.equal(withIt.steps[1].code, 'EADDRINUSE');
    assert.match(withIt.steps[1].detail ?? '', /another listener is using this path/);
    // A regular file is never removed, remove-stale or not.
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    const regular = await runSock('### a\nlisten unix notes.txt\nremove-stale\nclose\n', { baseDir: dir });
    assert.equal(regular.steps[0].code, 'EADDRINUSE');
    assert.match(regular.steps[0].detail ?? '', /the path exists and is not a socket; Socket Lab will not remove it/);
    assert.equal(await readFile(join(dir, 'notes.txt'), 'utf8'), 'keep me');
    await rm(dir, { recursive: true, force: true });
  });

  it('the parser keeps policy lines to listener blocks and checks them', () => {
    const msg = (t: string): string => parseSock(t).diagnostics[0]?.message ?? '';
    assert.match(msg('### a\nconnect tcp 127.0.0.1:1\nmax-conns 2'), /listener setting/);
    assert.match(msg('### a\nlisten udp 0\nidle-timeout 2s'), /UDP has none/);
    assert.match(msg('### a\nlisten tcp 0\nallow 300.1.1.1'), /not an address or subnet/);
    assert.match(msg('### a\nlisten tcp 0\nremove-stale'), /for listen unix/);
    const ok = parseSock('### a\nlisten tcp 0\nmax-conns 5\nallow 127.0.0.1 ::1\ndeny 127.0.0.2\nidle-timeout 30s\nclose');
    assert.deepEqual(ok.diagnostics, []);
    assert.deepEqual(ok.blocks[0].policy, { maxConnections: 5, allow: ['127.0.0.1', '::1'], deny: ['127.0.0.2'], idleTimeoutMs: 30_000 });
  });
});
