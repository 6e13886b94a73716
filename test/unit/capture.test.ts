import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrafficCapture } from '../../src/net/capture';
import type { TrafficEvent } from '../../src/net/traffic';
import { StreamConnection } from '../../src/net/stream';
import { TrafficBus } from '../../src/net/traffic';
import { cli, run, runSock, startPeer, tempSock } from './helpers';

function emitData(bus: TrafficBus, n: number, size: number): void {
  for (let i = 0; i < n; i++) bus.emit({ type: 'data', id: 'c1', direction: 'in', payload: Buffer.alloc(size, i % 256), offset: i * size });
}

describe('bounded capture', () => {
  it('keeps the latest events up to the event bound and counts the rest', async () => {
    const bus = new TrafficBus();
    const cap = new TrafficCapture(bus, { maxEvents: 10, maxBytes: 1 << 20 });
    emitData(bus, 25, 4);
    assert.equal(cap.length, 10);
    assert.equal(cap.droppedEvents, 15);
    assert.equal(cap.droppedBytes, 60);
    assert.deepEqual(cap.events().map((e) => (e.type === 'data' ? e.payload[0] : -1)), [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    await cap.dispose();
  });

  it('gives back every kept event as it was emitted, whatever its size and kind, as the ring grows and wraps', async () => {
    const bus = new TrafficBus();
    const cap = new TrafficCapture(bus, { maxEvents: 3000, maxBytes: 256 * 1024 * 1024 });
    const sizes = [1, 0, 17, 1000, 1024, 1025, 70_000, 3];
    const emitted: TrafficEvent[] = [];
    const keep = bus.subscribe((e) => emitted.push(e));
    for (let i = 0; i < 5000; i++) {
      const payload = Buffer.alloc(sizes[i % sizes.length], i % 251);
      if (payload.length > 0) payload[0] = i % 256;
      if (i % 97 === 0) bus.emit({ type: 'half-close', id: `c${i % 5}`, direction: 'in' });
      else if (i % 13 === 0) bus.emit({ type: 'data', id: 'u9', direction: 'in', payload, offset: i * 3, peer: '127.0.0.1:5353' });
      else bus.emitData(`c${i % 5}`, i % 2 ? 'out' : 'in', payload, 2 ** 40 + i * 1001);
    }
    keep();
    const kept = emitted.slice(-3000);
    const plain = (e: TrafficEvent): unknown => (e.type === 'data' ? { ...e, payload: e.payload.toString('hex') } : e);
    assert.deepEqual(cap.events().map(plain), kept.map(plain));
    const bytes = (es: TrafficEvent[]): number => es.reduce((n, e) => n + (e.type === 'data' ? e.payload.length : 0), 0);
    assert.equal(cap.bytes, bytes(kept));
    assert.equal(cap.droppedEvents, 2000);
    assert.equal(cap.droppedBytes, bytes(emitted.slice(0, 2000)));
    // Large payloads pushed out by the byte bound move the ring's head before it has to grow.
    const small = new TrafficCapture(bus, { maxEvents: 3000, maxBytes: 150_000 });
    const second: TrafficEvent[] = [];
    const keepSecond = bus.subscribe((e) => second.push(e));
    for (let i = 0; i < 3; i++) bus.emitData('c7', 'in', Buffer.alloc(70_000, i), i * 70_000);
    for (let i = 0; i < 2000; i++) bus.emitData('c7', 'out', Buffer.from([i % 256]), i);
    keepSecond();
    assert.equal(small.length, 2002);
    assert.deepEqual(small.events().map(plain), second.slice(-2002).map(plain));
    await small.dispose();
    cap.clear();
    assert.deepEqual(cap.events(), []);
    bus.emitData('c1', 'in', Buffer.from('after clear'), 12);
    assert.deepEqual(cap.events().map(plain), [{ type: 'data', id: 'c1', direction: 'in', payload: Buffer.from('after clear').toString('hex'), offset: 12, ts: cap.events()[0].ts }]);
    await cap.dispose();
  });

  it('keeps payload bytes under the byte bound, cutting an oversize payload and counting what it cut', async () => {
    const bus = new TrafficBus();
    const cap = new TrafficCapture(bus, { maxEvents: 1000, maxBytes: 100 });
    emitData(bus, 5, 30);
    assert.equal(cap.bytes, 90);
    assert.equal(cap.length, 3);
    assert.equal(cap.droppedBytes, 60);
    emitData(bus, 1, 250);
    assert.equal(cap.length, 1);
    assert.equal(cap.bytes, 100);
    assert.equal(cap.droppedBytes, 60 + 90 + 150);
    await cap.dispose();
  });

  it('stays within its bound while a peer floods 32 MiB, and accounts for every byte', async () => {
    const total = 32 * 1024 * 1024;
    const server = createServer((s) => {
      s.on('error', () => undefined);
      const chunk = Buffer.alloc(64 * 1024, 0x5a);
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!s.write(chunk)) {
            s.once('drain', pump);
            return;
          }
        }
        s.end();
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const bus = new TrafficBus();
    const cap = new TrafficCapture(bus, { maxEvents: 100_000, maxBytes: 1024 * 1024 });
    try {
      const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port: (server.address() as { port: number }).port }, { timeoutMs: 5000 }, bus);
      let received = 0;
      for (let i = 0; i < 100_000; i++) {
        const chunk = await conn.recv(undefined, { timeoutMs: 10_000 });
        if (chunk.length === 0) break;
        received += chunk.length;
        assert.ok(cap.bytes <= 1024 * 1024);
      }
      await conn.close();
      assert.equal(received, total);
      assert.equal(cap.bytes + cap.droppedBytes, total, 'held + dropped = everything received');
    } finally {
      await cap.dispose();
      await new Promise((r) => server.close(r));
    }
  });

  it('--capture FILE writes every traffic event as JSON lines whose payloads rebuild the bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-capture-'));
    const f = await tempSock('### l\nlisten tcp 127.0.0.1:0 as l\necho\n### c\nconnect tcp {{l}}\nsend hex 00 ff 0d 0a\nsend "text"\nshutdown\nrecv all\n');
    const out = join(dir, 'capture.jsonl');
    const r = await cli(['run', f.file, '--capture', out]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; direction?: string; id: string; payload?: { base64: string } });
    assert.ok(lines.some((e) => e.type === 'listening') && lines.some((e) => e.type === 'open') && lines.some((e) => e.type === 'close'));
    const clientOut = lines.filter((e) => e.type === 'data' && e.direction === 'out' && e.id === lines.find((x) => x.type === 'open' && !('listener' in x))?.id);
    assert.deepEqual(Buffer.concat(clientOut.map((e) => Buffer.from(e.payload?.base64 ?? '', 'base64'))), Buffer.from([0x00, 0xff, 0x0d, 0x0a, ...Buffer.from('text')]));
    await f.remove();
    await rm(dir, { recursive: true, force: true });
  });
});

describe('socket-lab run --pcapng', () => {
  it('writes the run’s traffic as pcapng that tshark reads back byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-pcapng-'));
    const f = await tempSock('### l\nlisten tcp 127.0.0.1:0 as l\necho\n### c\nconnect tcp {{l}}\nsend "GET / HTTP/1.0\\r\\n\\r\\n"\nsend hex 00 ff\nshutdown\nrecv all\n');
    const out = join(dir, 'run.pcapng');
    const r = await cli(['run', f.file, '--pcapng', out]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    const follow = await run('tshark', ['-r', out, '-q', '-z', 'follow,tcp,raw,0']);
    assert.equal(follow.code, 0, follow.stderr);
    // The raw follow output: client bytes unindented, server bytes indented by a tab.
    const lines = follow.stdout.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l));
    const side = (tab: boolean): string => lines.filter((l) => l.startsWith('\t') === tab).map((l) => l.trim()).join('');
    const sent = Buffer.concat([Buffer.from('GET / HTTP/1.0\r\n\r\n'), Buffer.from([0x00, 0xff])]).toString('hex');
    assert.equal(side(false), sent, 'what the client sent');
    assert.equal(side(true), sent, 'what the echo listener sent back');
    await f.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves out an abstract Unix socket’s traffic and says how many events, keeping the TCP flow beside it', async function () {
    if (process.platform !== 'linux') this.skip();
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-pcapng-'));
    const name = `socket-lab-pcapng-${process.pid}`;
    const f = await tempSock([
      '### tcp\nlisten tcp 127.0.0.1:0 as t\necho',
      `### abstract\nlisten unix @${name} as u\necho`,
      '### over tcp\nconnect tcp {{t}}\nsend "over tcp"\nshutdown\nrecv all\nexpect exactly "over tcp"',
      `### over the abstract socket\nconnect unix @${name}\nsend "over unix"\nshutdown\nrecv all\nexpect exactly "over unix"\n`,
    ].join('\n'));
    const out = join(dir, 'run.pcapng');
    const r = await cli(['run', f.file, '--pcapng', out]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // Two connections (the client and the accepted one), each: open, one chunk each way, two half-closes, close.
    assert.match(r.stderr, /^socket-lab: (\d+) events without an IP flow \(Unix sockets\) are not in .*run\.pcapng\n$/);
    const skipped = Number(/(\d+) events/.exec(r.stderr)?.[1]);
    assert.ok(skipped >= 10, `${skipped} Unix events counted as skipped`);
    const follow = await run('tshark', ['-r', out, '-q', '-z', 'follow,tcp,ascii,0']);
    assert.equal(follow.code, 0, follow.stderr);
    assert.match(follow.stdout, /over tcp/);
    assert.doesNotMatch(follow.stdout, /over unix/);
    const flows = await run('tshark', ['-r', out, '-T', 'fields', '-e', 'tcp.stream']);
    assert.deepEqual([...new Set(flows.stdout.trim().split('\n'))], ['0'], 'one TCP conversation and nothing else');
    await f.remove();
    await rm(dir, { recursive: true, force: true });
  });
});

describe('backpressure', () => {
  it('sending 1 GiB to a Python peer that never reads stalls in send, with memory bounded', async function () {
    this.timeout(60_000);
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-bp-'));
    await writeFile(join(dir, 'chunk.bin'), Buffer.alloc(1024 * 1024, 0x42));
    // A peer that accepts and then only sleeps: its receive window fills and stays full.
    const { port, peer } = await startPeer('sleeper.py', []);
    const before = process.memoryUsage().rss;
    const r = await runSock(`### flood a sleeper\nconnect tcp 127.0.0.1:${port}\nrepeat 1024\nsend file chunk.bin\nend\n`, { baseDir: dir, defaultTimeoutMs: 1500 });
    const growth = process.memoryUsage().rss - before;
    const failed = r.steps.find((s) => s.status === 'error');
    assert.equal(failed?.code, 'ETIMEDOUT', JSON.stringify(failed));
    assert.match(failed?.detail ?? '', /send 1048576 bytes: timed out/);
    const sent = r.steps.filter((s) => s.verb === 'send' && s.status === 'ok').length;
    assert.ok(sent < 256, `${sent} MiB were taken before the peer's window filled; 1 GiB was not buffered`);
    assert.ok(growth < 64 * 1024 * 1024, `RSS grew by ${Math.round(growth / 1048576)} MiB`);
    peer.child.kill();
    await rm(dir, { recursive: true, force: true });
  });
});
