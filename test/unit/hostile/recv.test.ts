// Hostile peers against the accumulating receives: a peer that sends exactly the bound and more,
// a large reply in small writes, and errors that must show what had arrived.
import { strict as assert } from 'node:assert';
import { SocketLabError } from '../../../src/net/errors';
import { RECV_MAX_BYTES, StreamConnection } from '../../../src/net/stream';
import { TrafficBus } from '../../../src/net/traffic';
import { runSock, startPeer, type SockResult } from '../helpers';

const MiB = 1024 * 1024;

/** Starts test/peers/blurt.py and connects to it. */
async function blurt(args: readonly string[]): Promise<StreamConnection> {
  const { port } = await startPeer('blurt.py', args);
  return StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, { timeoutMs: 5000 }, new TrafficBus());
}

function code(e: unknown): string | undefined {
  return e instanceof SocketLabError ? e.code : undefined;
}

function detail(r: SockResult, verb: string): string {
  const s = r.steps.find((x) => x.source.startsWith(verb));
  assert.ok(s, `no step ${verb}: ${JSON.stringify(r.steps.map((x) => x.source))}`);
  return s.detail ?? '';
}

describe('hostile peers: recv all and recv until hold their bound', () => {
  it('recv all fails with ETOOBIG, not at its timeout, when exactly 16 MiB are queued and more follow', async () => {
    const conn = await blurt([String(RECV_MAX_BYTES), '65536', 'more']);
    try {
      const t0 = performance.now();
      const err = await conn.recvAll({ timeoutMs: 5000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal(code(err), 'ETOOBIG', String(err));
      assert.ok(performance.now() - t0 < 6000, `failed after ${performance.now() - t0} ms: at once, not at the timeout`);
    } finally {
      conn.destroy();
    }
  });

  it('recv until fails with ETOOBIG, not at its timeout, when exactly its bound without the delimiter is queued and more follow', async () => {
    const conn = await blurt([String(MiB), '65536', 'more']);
    try {
      const err = await conn.recvUntil(Buffer.from('\n'), { timeoutMs: 5000, maxBytes: MiB }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal(code(err), 'ETOOBIG', String(err));
    } finally {
      conn.destroy();
    }
  });

  it('recv all returns exactly 16 MiB when the peer sends that much and closes its side', async () => {
    const conn = await blurt([String(RECV_MAX_BYTES), '65536', 'fin']);
    try {
      const data = await conn.recvAll({ timeoutMs: 5000 });
      assert.equal(data.length, RECV_MAX_BYTES);
    } finally {
      conn.destroy();
    }
  });

  it('recv until reads 16 MiB sent in 4 KiB writes about as fast as recv all: each chunk is searched once', async () => {
    const opts = { timeoutMs: 15_000, maxBytes: 17 * MiB };
    const all = await blurt([String(16 * MiB), '4096', 'fin', '', 'END']);
    let allMs: number;
    try {
      const t0 = performance.now();
      assert.equal((await all.recvAll(opts)).length, 16 * MiB + 3);
      allMs = performance.now() - t0;
    } finally {
      all.destroy();
    }
    const until = await blurt([String(16 * MiB), '4096', 'fin', '', 'END']);
    try {
      const t0 = performance.now();
      const data = await until.recvUntil(Buffer.from('END'), opts);
      const untilMs = performance.now() - t0;
      assert.equal(data.length, 16 * MiB + 3);
      // Copying the whole queue per chunk took 1-2.7 s here against 35-61 ms for recv all.
      assert.ok(untilMs < Math.max(4 * allMs, 400), `recv until took ${Math.round(untilMs)} ms, recv all ${Math.round(allMs)} ms`);
    } finally {
      until.destroy();
    }
  });

  it('a delimiter split across chunks is found, and the bytes after it stay queued', async () => {
    const conn = await blurt(['0', '1', 'fin', 'abc\\r', '\\ndef']);
    try {
      // The peer's writes may arrive apart or together; either way the \r\n is found once.
      assert.equal((await conn.recvUntil(Buffer.from('\r\n'), { timeoutMs: 3000 })).toString(), 'abc\r\n');
      assert.equal((await conn.recvAll({ timeoutMs: 3000 })).toString(), 'def');
    } finally {
      conn.destroy();
    }
  });
});

describe('hostile peers: errors show the bytes that arrived', () => {
  it('a recv until that times out says how many bytes arrived and shows them', async () => {
    const { port } = await startPeer('blurt.py', ['0', '1', 'keep', '+PONG\\r\\n']);
    const r = await runSock(`### ping\nconnect tcp 127.0.0.1:${port}\nrecv until "PONG!" timeout 300ms\n`);
    assert.match(detail(r, 'recv until'), /timed out after 300 ms; 7 bytes arrived: "\+PONG\\r\\n"$/);
  });

  it('a recv all on a connection the peer keeps open times out showing what arrived', async () => {
    const { port } = await startPeer('blurt.py', ['0', '1', 'keep', 'HTTP/1.1 200 OK\\r\\n']);
    const r = await runSock(`### keep-alive\nconnect tcp 127.0.0.1:${port}\nrecv all timeout 300ms\n`);
    assert.match(detail(r, 'recv all'), /recv all: timed out after 300 ms; 17 bytes arrived: "HTTP\/1\.1 200 OK\\r\\n" \(the peer has not closed its side\)$/);
  });

  it('ECONNRESET during recv all and recv exactly says what arrived before the reset', async () => {
    const a = await startPeer('blurt.py', ['0', '1', 'reset', '+PONG\\r\\n']);
    const all = await runSock(`### all\nconnect tcp 127.0.0.1:${a.port}\nrecv all timeout 3s\n`);
    assert.match(detail(all, 'recv all'), /connection reset by peer \(ECONNRESET\); before it, 7 bytes arrived: "\+PONG\\r\\n"$/);
    assert.equal(all.steps.find((s) => s.source.startsWith('recv all'))?.code, 'ECONNRESET');
    const b = await startPeer('blurt.py', ['0', '1', 'reset', '+PONG\\r\\n']);
    const exactly = await runSock(`### exactly\nconnect tcp 127.0.0.1:${b.port}\nrecv exactly 100 timeout 3s\n`);
    assert.match(detail(exactly, 'recv exactly'), /^recv exactly 100: .*\(ECONNRESET\); before it, 7 bytes arrived: "\+PONG\\r\\n"$/);
  });

  it('a recv exactly that times out says how many of the bytes arrived', async () => {
    const { port } = await startPeer('blurt.py', ['0', '1', 'keep', 'abc']);
    const r = await runSock(`### short\nconnect tcp 127.0.0.1:${port}\nrecv exactly 10 timeout 300ms\n`);
    assert.match(detail(r, 'recv exactly'), /timed out after 300 ms; 3 of 10 bytes arrived: "abc"$/);
  });
});
