import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fc from 'fast-check';
import { escapeBytes } from '../../src/net/payload';
import { TrafficBus, type TrafficEvent } from '../../src/net/traffic';
import { TrafficCapture } from '../../src/net/capture';
import { StreamListener } from '../../src/net/listener';
import { StreamConnection } from '../../src/net/stream';
import { EventStore, makeMatcher, payloadLines, visibleBody, type ViewFilter } from '../../src/webview/page/model';
import { parsePageMessage, VIEW_PAYLOAD_MAX, type WireEvent } from '../../src/webview/protocol';
import { toWireEvent } from '../../src/webview/toWire';
import { Batcher } from '../../src/webview/batcher';
import { until } from '../shared/until';

const ALL: ViewFilter = { connection: null, directions: ['in', 'out'], lifecycle: true, search: '' };

function wire(id: string, direction: 'in' | 'out', payload: string | Buffer, seq = 1): WireEvent {
  const b = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  return { seq, ts: 0, id, kind: 'data', direction, bytes: b.length, payload: b.toString('base64') };
}

describe('traffic view model', () => {
  it('hex lines are xxd’s lines, for any bytes', () => {
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff));
    assert.equal(payloadLines(bytes, 'hex', 'utf-8').join('\n') + '\n', execFileSync('xxd', [], { input: bytes }).toString());
  });

  it('escaped lines break after each newline byte and join back to escapeBytes of the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const lines = payloadLines(bytes, 'escaped', 'utf-8');
        for (const l of lines.slice(0, -1)) assert.ok(l.endsWith('\\n'), l);
        assert.equal(lines.join(''), escapeBytes(bytes));
        assert.ok(lines.every((l) => /^[\x20-\x7e]*$/.test(l)), 'escaped lines are printable ASCII only');
      }),
      { numRuns: 300 },
    );
  });

  it('text lines decode in the encoding and show bidi overrides and controls as escapes', () => {
    assert.deepEqual(payloadLines(Buffer.from('a\u202Eb\r\nc\u0007', 'utf8'), 'text', 'utf-8'), ['a\\u{202e}b\\r', 'c\\u{7}']);
    assert.deepEqual(payloadLines(Buffer.from([0xe9]), 'text', 'windows-1252'), ['é']);
    assert.deepEqual(payloadLines(Buffer.from([0xe9]), 'text', 'no-such-encoding'), ['\ufffd'], 'an unknown encoding falls back to UTF-8');
  });

  it('a collapsed row shows at most 16 lines and 4,096 characters and says how many lines are left', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `l${i}`);
    assert.deepEqual(visibleBody(lines, false), { text: lines.slice(0, 16).join('\n'), hiddenLines: 24 });
    assert.deepEqual(visibleBody(lines, true), { text: lines.join('\n'), hiddenLines: 0 });
    const long = visibleBody(['x'.repeat(10_000), 'y'], false);
    assert.equal(long.text.length, 4097);
    assert.equal(long.hiddenLines, 1);
  });

  it('a listener filter shows its accepted connections; search finds text case-insensitively or hex bytes', () => {
    const store = new EventStore();
    store.push([wire('c2', 'in', 'Hello World'), wire('c3', 'out', Buffer.from([0, 0xff, 0x10])), { seq: 3, ts: 0, id: 'l1', kind: 'listening', summary: 'listening on tcp 127.0.0.1:5000' }]);
    const conns = [{ id: 'l1', kind: 'listener' as const, transport: 'tcp', label: '', canSend: false }, { id: 'c2', kind: 'accepted' as const, transport: 'tcp', label: '', listener: 'l1', canSend: true }];
    const count = (f: Partial<ViewFilter>): number => store.all().filter(makeMatcher({ ...ALL, ...f }, conns)).length;
    assert.equal(count({}), 3);
    assert.equal(count({ connection: 'l1' }), 2);
    assert.equal(count({ connection: 'c3' }), 1);
    assert.equal(count({ directions: ['out'], lifecycle: false }), 1);
    assert.equal(count({ search: 'hello WORLD' }), 1);
    assert.equal(count({ search: 'hex ff10' }), 1);
    assert.equal(count({ search: 'hex f' }), 0, 'a malformed hex search matches no payload');
    assert.equal(count({ search: '5000' }), 1, 'summaries are searched too');
    // A connection accepted after the filter was set: its accept names the listener, so it shows
    // before the page hears of the new connection.
    const live = makeMatcher({ ...ALL, connection: 'l1' }, conns);
    const later = new EventStore();
    later.push([{ seq: 9, ts: 0, id: 'c7', kind: 'open', listener: 'l1', summary: 'accepted by l1 from 127.0.0.1:1' }, wire('c7', 'in', 'new peer', 10), wire('c8', 'in', 'someone else', 11)]);
    assert.deepEqual(later.all().filter(live).map((e) => e.wire.seq), [9, 10]);
  });

  it('the store is bounded by events and bytes and counts what it lets go', () => {
    const store = new EventStore(100, 1000);
    for (let i = 0; i < 25; i++) store.push(Array.from({ length: 10 }, (_, j) => wire('c1', 'in', 'x', i * 10 + j)));
    assert.equal(store.length, 100);
    assert.equal(store.dropped, 150);
    assert.equal(store.all()[0].wire.seq, 150, 'the oldest go first');
    store.push([wire('c1', 'in', Buffer.alloc(900))]);
    assert.ok(store.all().reduce((n, e) => n + (e.payload?.length ?? 0), 0) <= 1000);
    assert.equal(store.all().at(-1)?.payload?.length, 900);
  });

  it('the host sends at most 64 KiB of a payload and its full length', async () => {
    const e: TrafficEvent = { type: 'data', ts: 1, id: 'c1', direction: 'in', payload: Buffer.alloc(VIEW_PAYLOAD_MAX + 10, 0x41), offset: 0 };
    const w = toWireEvent(e, 7);
    assert.equal(w.bytes, VIEW_PAYLOAD_MAX + 10);
    assert.equal(Buffer.from(w.payload ?? '', 'base64').length, VIEW_PAYLOAD_MAX);
    assert.equal(toWireEvent({ type: 'close', ts: 1, id: 'c1', bytesIn: 1, bytesOut: 2 }, 8).summary, 'closed (1 byte in, 2 bytes out)');
  });

  it('real loopback traffic reaches the page model with its chunk boundaries and bytes', async () => {
    const bus = new TrafficBus();
    const capture = new TrafficCapture(bus);
    const listener = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, {}, bus, (c) => void c.send(Buffer.from('hi\r\n'), { timeoutMs: 2000 }));
    const port = listener.endpoint.transport === 'tcp' ? listener.endpoint.port : 0;
    const client = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, { timeoutMs: 2000 }, bus);
    await client.recvExactly(4, { timeoutMs: 2000 });
    await client.send(Buffer.from([0, 1, 2]), { timeoutMs: 2000 });
    await until('the listener to get the bytes', () => (capture.events().filter((e) => e.type === 'data').length >= 4 ? true : undefined));
    await client.close();
    await listener.close();
    const store = new EventStore();
    store.push(capture.events().map((e, i) => toWireEvent(e, i)));
    const client3 = store.all().filter(makeMatcher({ ...ALL, connection: client.id, lifecycle: false }, []));
    assert.deepEqual(
      client3.map((e) => `${e.wire.direction} ${payloadLines(e.payload ?? new Uint8Array(), 'escaped', 'utf-8').join('')}`),
      ['in hi\\r\\n', 'out \\0\\x01\\x02'],
    );
    await capture.dispose();
  });
});

describe('traffic view protocol: messages from the page are validated', () => {
  it('accepts the three messages and refuses anything else', () => {
    assert.deepEqual(parsePageMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parsePageMessage({ type: 'send', connection: 'c3', payload: 'hi', extra: 1 }), { type: 'send', connection: 'c3', payload: 'hi' });
    assert.deepEqual(parsePageMessage({ type: 'export', format: 'pcapng', connection: null }), { type: 'export', format: 'pcapng', connection: null });
    // A UDP listener's peer, the send target of a reply.
    assert.deepEqual(parsePageMessage({ type: 'send', connection: 'u9:[fe80::1%eth0]:40312', payload: 'hi' }), { type: 'send', connection: 'u9:[fe80::1%eth0]:40312', payload: 'hi' });
    for (const bad of [null, 'ready', 42, {}, { type: 'eval' }, { type: 'send', connection: 'c3' }, { type: 'send', connection: '../../etc', payload: 'x' }, { type: 'send', connection: 'c3', payload: 'x'.repeat(2 * 1024 * 1024) }, { type: 'export', format: 'exe', connection: null }, { type: 'export', format: 'jsonl', connection: 5 }, { type: '__proto__' }]) {
      assert.equal(parsePageMessage(bad), undefined, JSON.stringify(bad)?.slice(0, 60));
    }
  });
});

describe('traffic view batching (host side)', () => {
  it('a flood of 10,000 events in one tick goes out as one batch, not 10,000 posts', async () => {
    const batches: number[] = [];
    const b = new Batcher<number>((items) => batches.push(items.length), 50);
    for (let i = 0; i < 10_000; i++) b.push(i);
    assert.deepEqual(batches, [], 'nothing is posted synchronously');
    await until('the batch', () => (batches.length > 0 ? true : undefined), 1000);
    assert.deepEqual(batches, [10_000]);
  });

  it('at most one batch per interval while events keep coming', async () => {
    const times: number[] = [];
    const b = new Batcher<number>(() => times.push(Date.now()), 50);
    const end = Date.now() + 400;
    for (let i = 0; Date.now() < end && i < 10_000; i++) {
      b.push(i);
      await new Promise((r) => setTimeout(r, 5));
    }
    b.flush();
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    assert.ok(times.length >= 2 && times.length <= 11, `${times.length} batches in 400 ms`);
    assert.ok(gaps.slice(0, -1).every((g) => g >= 45), `gaps ${gaps.join(', ')} ms`);
  });

  it('when the page falls behind, the oldest waiting events go and are counted', () => {
    const got: { items: number[]; dropped: number }[] = [];
    const b = new Batcher<number>((items, dropped) => got.push({ items, dropped }), 50, 100);
    for (let i = 0; i < 250; i++) b.push(i);
    b.flush();
    assert.equal(got.length, 1);
    assert.equal(got[0].dropped, 150);
    assert.deepEqual(got[0].items, Array.from({ length: 100 }, (_, i) => 150 + i));
  });

  it('a flood of big payloads is bounded by bytes too: the newest that fit wait, the rest are counted', () => {
    const got: { items: number[]; dropped: number }[] = [];
    // Items are payload sizes; 1 MiB may wait.
    const b = new Batcher<number>((items, dropped) => got.push({ items, dropped }), 50, 20_000, 1024 * 1024, (n) => n);
    for (let i = 0; i < 100; i++) b.push(64 * 1024);
    b.push(5 * 1024 * 1024);
    b.flush();
    assert.deepEqual(got[0].items, [5 * 1024 * 1024], 'one item larger than the bound still goes, alone');
    assert.equal(got[0].dropped, 100);
    for (let i = 0; i < 40; i++) b.push(64 * 1024);
    b.flush();
    assert.equal(got[1].items.length, 16);
    assert.equal(got[1].dropped, 24);
  });
});
