import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DatagramSocket } from '../../src/net/datagram';
import { SocketLabError } from '../../src/net/errors';
import { StreamListener } from '../../src/net/listener';
import { StreamConnection } from '../../src/net/stream';
import { TrafficBus, type TrafficEvent } from '../../src/net/traffic';
import { SENT } from '../../src/net/wait';
import { PEERS, start, startPeer, tempSock } from './helpers';

const WAIT = { timeoutMs: 5000 };

function recordBus(): { bus: TrafficBus; events: TrafficEvent[] } {
  const bus = new TrafficBus();
  const events: TrafficEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return { bus, events };
}

function isCode(code: string) {
  return (e: unknown): boolean => e instanceof SocketLabError && e.code === code;
}

describe('socket core against real peers on loopback', () => {
  it('a TCP client receives the Python tutorial server greeting, and reports every event', async () => {
    const { port, peer } = await startPeer('server.py', ['0']);
    const { bus, events } = recordBus();
    const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, WAIT, bus);
    const data = await conn.recv(1024, WAIT);
    assert.equal(data.toString(), 'Thank you for connecting');
    assert.equal((await conn.recv(1024, WAIT)).length, 0, 'recv returns empty bytes once the server closed, as Python recv does');
    await conn.close();
    assert.match((await peer.exited).stdout, /Got connection from \('127\.0\.0\.1', \d+\)/);
    assert.deepEqual(events.map((e) => e.type), ['open', 'data', 'half-close', 'half-close', 'close']);
    const close = events.at(-1);
    assert.ok(close?.type === 'close' && close.bytesIn === 24 && close.bytesOut === 0);
    assert.ok(events.every((e) => e.id === conn.id && typeof e.ts === 'number'));
  });

  it('a TCP listener greets the Python tutorial client', async () => {
    const { bus } = recordBus();
    const listener = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, {}, bus, (conn) => {
      void conn.send(Buffer.from('Thank you for connecting'), WAIT).then(() => conn.close());
    });
    try {
      assert.ok(listener.endpoint.transport === 'tcp' && listener.endpoint.port > 0);
      const client = start('python3', [join(PEERS, 'client.py'), String(listener.endpoint.port)]);
      const r = await client.exited;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), "b'Thank you for connecting'");
    } finally {
      await listener.close();
    }
  });

  it('a listener serves many clients at once, each on its own connection', async () => {
    const { bus, events } = recordBus();
    const listener = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, { backlog: 128 }, bus, async (conn) => {
      const line = await conn.recvUntil(Buffer.from('\n'), WAIT);
      await conn.send(Buffer.from(`${conn.id}:${line.toString()}`), WAIT);
      await conn.close();
    });
    try {
      const port = listener.endpoint.transport === 'tcp' ? listener.endpoint.port : 0;
      const replies = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const c = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, WAIT, bus);
          await c.send(Buffer.from(`client ${i}\n`), WAIT);
          const reply = (await c.recvAll(WAIT)).toString();
          await c.close();
          return reply;
        }),
      );
      replies.forEach((r, i) => assert.match(r, new RegExp(`^c\\d+:client ${i}\n$`)));
      assert.equal(new Set(replies.map((r) => r.split(':')[0])).size, 50, 'each client was served by its own accepted connection');
      assert.equal(events.filter((e) => e.type === 'open' && e.listener === listener.id).length, 50);
    } finally {
      await listener.close();
    }
  });

  it('IPv6 loopback works for listener and client ([::1])', async () => {
    const { bus } = recordBus();
    const listener = await StreamListener.listen({ transport: 'tcp', host: '::1', port: 0 }, {}, bus, (conn) => void conn.send(Buffer.from('v6'), WAIT).then(() => conn.close()));
    try {
      const port = listener.endpoint.transport === 'tcp' ? listener.endpoint.port : 0;
      const r = await start('python3', [join(PEERS, 'client.py'), String(port), '::1']).exited;
      assert.equal(r.stdout.trim(), "b'v6'");
    } finally {
      await listener.close();
    }
  });

  it('recv until keeps the bytes after the delimiter for the next recv', async () => {
    const { bus } = recordBus();
    const listener = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, {}, bus, async (conn) => {
      const line1 = await conn.recvUntil(Buffer.from('\n'), WAIT);
      const rest = await conn.recvAll(WAIT);
      await conn.send(Buffer.from(`[${line1.toString()}|${rest.toString()}]`), WAIT);
      await conn.close();
    });
    try {
      const port = listener.endpoint.transport === 'tcp' ? listener.endpoint.port : 0;
      const r = await start('python3', [join(PEERS, 'client.py'), String(port), '127.0.0.1', 'one\\ntwo\\nthree']).exited;
      assert.equal(r.stdout.trim(), "b'[one\\n|two\\nthree]'");
    } finally {
      await listener.close();
    }
  });

  it('UDP: a bound socket answers the Python client with sendto; a connected client talks to a Python echo server', async () => {
    const { bus, events } = recordBus();
    const server = await DatagramSocket.bind('127.0.0.1', 0, bus);
    server.onDatagram = (d) => void server.send(Buffer.concat([Buffer.from('echo:'), d.payload]), d);
    try {
      const port = Number(server.local.split(':')[1]);
      const r = await start('python3', [join(PEERS, 'udp.py'), 'send', String(port), 'hello']).exited;
      assert.equal(r.stdout.trim(), "b'echo:hello'");
    } finally {
      await server.close();
    }
    const { port, peer } = await startPeer('udp.py', ['echo', '0']);
    const client = await DatagramSocket.connect('127.0.0.1', port, bus);
    await client.send(Buffer.from('datagram one'));
    const d = await client.recv(undefined, WAIT);
    assert.equal(d.payload.toString(), 'datagram one');
    assert.equal(d.from, `127.0.0.1:${port}`);
    await client.close();
    await peer.exited;
    const inbound = events.filter((e) => e.type === 'data' && e.direction === 'in');
    assert.equal(inbound.length, 2, 'each datagram is one data event');
  });

  it('Unix domain: a listener echoes to a Python AF_UNIX client and removes its socket file on close', async () => {
    const tmp = await tempSock('');
    const path = join(tmp.dir, 'echo.socket');
    const { bus } = recordBus();
    const listener = await StreamListener.listen({ transport: 'unix', path }, {}, bus, async (conn) => {
      const all = await conn.recvAll(WAIT);
      await conn.send(all, WAIT);
      await conn.close();
    });
    try {
      assert.ok(existsSync(path));
      const r = await start('python3', [join(PEERS, 'unix_client.py'), path, 'over AF_UNIX']).exited;
      assert.equal(r.stdout.trim(), "b'over AF_UNIX'");
    } finally {
      await listener.close();
      await listener.close();
    }
    assert.equal(existsSync(path), false, 'the socket file is removed when the listener stops');
    await tmp.remove();
  });

  it('errors are typed and clear: refused, address in use, unknown Unix path, receive timeout', async () => {
    const { bus } = recordBus();
    const holder = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, {}, bus, () => undefined);
    const port = holder.endpoint.transport === 'tcp' ? holder.endpoint.port : 0;
    await assert.rejects(StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port }, {}, bus, () => undefined), (e: unknown) => isCode('EADDRINUSE')(e) && /address already in use/.test((e as Error).message));
    await holder.close();
    await assert.rejects(StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, WAIT, bus), (e: unknown) => isCode('ECONNREFUSED')(e) && /connection refused/.test((e as Error).message));
    await assert.rejects(StreamConnection.connect({ transport: 'unix', path: '/nonexistent/socket-lab.socket' }, WAIT, bus), isCode('ENOENT'));
    const udp = await DatagramSocket.bind('127.0.0.1', 0, bus);
    await assert.rejects(DatagramSocket.bind('127.0.0.1', Number(udp.local.split(':')[1]), bus), isCode('EADDRINUSE'));
    await assert.rejects(udp.recv(undefined, { timeoutMs: 50 }), (e: unknown) => isCode('ETIMEDOUT')(e) && /timed out after 50 ms/.test((e as Error).message));
    await udp.close();
  });

  it('a stale Unix socket file gives EADDRINUSE that names the stale file', async () => {
    const tmp = await tempSock('');
    const path = join(tmp.dir, 'stale.socket');
    // A listener that dies without cleaning up leaves its file behind, as a crashed process does.
    const py = start('python3', ['-c', `import socket,os; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path)}); os._exit(0)`]);
    await py.exited;
    assert.ok(existsSync(path));
    const { bus } = recordBus();
    await assert.rejects(StreamListener.listen({ transport: 'unix', path }, {}, bus, () => undefined), (e: unknown) => isCode('EADDRINUSE')(e) && /stale socket file/.test((e as Error).message));
    await tmp.remove();
  });

  it('a peer that resets the connection surfaces ECONNRESET to the waiting recv', async () => {
    const server = createServer((s) => {
      s.on('error', () => undefined);
      // Reset once the client is connected and waiting in recv.
      setTimeout(() => s.resetAndDestroy(), 100);
    });
    server.on('error', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const { bus, events } = recordBus();
    try {
      const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, WAIT, bus);
      await assert.rejects(conn.recv(undefined, WAIT), isCode('ECONNRESET'));
      assert.equal(conn.state, 'error');
      assert.ok(events.some((e) => e.type === 'error' && e.code === 'ECONNRESET'));
      conn.destroy();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('a peer that floods is paused at the receive high-water mark instead of filling memory', async () => {
    const { bus } = recordBus();
    const peers = new Set<import('node:net').Socket>();
    const server = createServer((s) => {
      peers.add(s);
      s.on('error', () => undefined);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = (): void => {
        while (sent < 64 * 1024 * 1024 && s.write(chunk)) sent += chunk.length;
        if (sent < 64 * 1024 * 1024) s.once('drain', pump);
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, WAIT, bus);
    try {
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(conn.bytesIn < 8 * 1024 * 1024, `read ${conn.bytesIn} bytes without a reader; the queue should pause near 1 MiB`);
      const first = await conn.recv(4096, WAIT);
      assert.equal(first.length, 4096);
    } finally {
      conn.destroy();
      for (const p of peers) p.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('waits and echo on the data path', () => {
  it('a send the socket takes at once is SENT; one a peer that does not read cannot take waits for it to read', async function () {
    this.timeout(20_000);
    let peer: import('node:net').Socket | undefined;
    const server = createServer((s) => {
      peer = s;
      s.on('error', () => undefined);
      s.pause();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const { bus } = recordBus();
    const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, WAIT, bus);
    try {
      // The round of a repeat goes on without a microtask when its send returns SENT (src/sock/run/steps.ts).
      assert.equal(conn.send(Buffer.from('PING\n'), WAIT), SENT);
      const big = conn.send(Buffer.alloc(32 * 1024 * 1024), WAIT);
      assert.notEqual(big, SENT, '32 MiB to a peer that reads nothing cannot leave at once');
      let done = false;
      void big.then(() => (done = true));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(done, false, 'the send waits while the peer reads nothing');
      peer?.resume();
      await big;
    } finally {
      conn.destroy();
      peer?.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('each receive gets its own timeout, whatever the receives before it waited for', async () => {
    // A peer that answers "1" at once with "a", and "2" after 600 ms with "b".
    const server = createServer((s) => {
      s.on('error', () => undefined);
      s.on('data', (d) => {
        if (d.includes('1')) s.write('a');
        if (d.includes('2')) setTimeout(() => s.write('b'), 600);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const { bus } = recordBus();
    const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, WAIT, bus);
    try {
      // Each recv starts waiting before its answer is asked for, so each one arms a deadline.
      const first = conn.recv(1, { timeoutMs: 300 });
      await conn.send(Buffer.from('1'), WAIT);
      assert.equal((await first).toString(), 'a');
      // The first wait's 300 ms deadline passes while this one waits: it must not end it.
      const second = conn.recv(1, { timeoutMs: 5000 });
      await conn.send(Buffer.from('2'), WAIT);
      assert.equal((await second).toString(), 'b');
      // A short wait after a long one fails after its own time, not the long one's.
      const t0 = performance.now();
      await assert.rejects(conn.recv(1, { timeoutMs: 100 }), (e: unknown) => isCode('ETIMEDOUT')(e) && /recv 1: timed out after 100 ms/.test((e as Error).message));
      const waited = performance.now() - t0;
      assert.ok(waited >= 95 && waited < 2500, `the 100 ms receive failed after ${Math.round(waited)} ms`);
    } finally {
      conn.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('echo stops reading from a peer that does not read, then sends back every byte in order', async function () {
    this.timeout(20_000);
    const { bus, events } = recordBus();
    let echoed: Promise<number> | undefined;
    let served: StreamConnection | undefined;
    const listener = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, {}, bus, (conn) => {
      served = conn;
      echoed = conn.echo({ timeoutMs: 5000 });
    });
    const port = listener.endpoint.transport === 'tcp' ? listener.endpoint.port : 0;
    const total = 32 * 1024 * 1024;
    const payload = Buffer.alloc(total);
    for (let i = 0; i < total; i += 4) payload.writeUInt32LE(i, i);
    const client = (await import('node:net')).connect({ host: '127.0.0.1', port });
    client.on('error', () => undefined);
    try {
      await new Promise((r) => client.once('connect', r));
      client.pause();
      client.write(payload);
      // The peer reads nothing for 500 ms: far less than 32 MiB can be echoed into its window.
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(served && served.bytesOut < total, `the echo sent ${served?.bytesOut} of ${total} bytes to a peer that was not reading`);
      const parts: Buffer[] = [];
      let got = 0;
      const all = new Promise<void>((resolve) =>
        client.on('data', (d: Buffer) => {
          parts.push(d);
          got += d.length;
          if (got >= total) resolve();
        }),
      );
      client.resume();
      await all;
      assert.ok(Buffer.concat(parts).equals(payload), 'every byte came back, in order');
      client.end();
      assert.equal(await echoed, total);
      const out = events.filter((e) => e.type === 'data' && e.direction === 'out' && e.id === served?.id);
      assert.equal(out.reduce((n, e) => n + (e.type === 'data' ? e.payload.length : 0), 0), total, 'every echoed chunk was reported');
    } finally {
      client.destroy();
      await listener.close();
    }
  });
});
