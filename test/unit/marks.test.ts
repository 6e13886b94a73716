// The frames and fields a block read, as `mark` traffic events whose stream offsets point into the
// bytes the data events carried: checked through the CLI's --json against real peers (the Python
// Modbus/TCP server, Python's UDP echo), and through the traffic view's page model.
import { strict as assert } from 'node:assert';
import { MarkIndex, cutAtFrames, markedHexLines, UNFRAMED } from '../../src/webview/page/marks';
import { EventStore, payloadLines } from '../../src/webview/page/model';
import type { WireEvent } from '../../src/webview/protocol';
import { cli, startPeer, tempSock } from './helpers';

interface JsonTraffic {
  type: string;
  id: string;
  direction?: 'in' | 'out';
  offset?: number;
  length?: number;
  mark?: 'frame' | 'field';
  label?: string;
  payload?: { hex: string };
}

/** The traffic events of a `--json` run, and each socket direction's bytes joined in order. */
function trafficOf(stdout: string): { events: JsonTraffic[]; stream: (id: string, direction: 'in' | 'out') => Buffer } {
  const events = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; event?: JsonTraffic })
    .filter((e) => e.type === 'traffic')
    .map((e) => e.event as JsonTraffic);
  return {
    events,
    stream: (id, direction) => Buffer.concat(events.filter((e) => e.type === 'data' && e.id === id && e.direction === direction).map((e) => Buffer.from(e.payload?.hex ?? '', 'hex'))),
  };
}

describe('marks: the frames and fields a block read, by stream offset', function () {
  this.timeout(30_000);

  it('Modbus/TCP: each data event’s offset counts the bytes before it; frame marks cut the received bytes into the frames recv frame returned; field marks point at what captures and expectations read', async () => {
    const { peer, port } = await startPeer('modbus_server.py', ['0']);
    const r = await cli(['run', 'examples/modbus.sock', '--var', `port=${port}`, '--json']);
    await peer.exited;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const { events, stream } = trafficOf(r.stdout);
    const client = events.find((e) => e.type === 'open')?.id as string;
    for (const direction of ['in', 'out'] as const) {
      let offset = 0;
      for (const e of events.filter((x) => x.type === 'data' && x.id === client && x.direction === direction)) {
        assert.equal(e.offset, offset, `${direction} data event at ${offset}`);
        offset += Buffer.from(e.payload?.hex ?? '', 'hex').length;
      }
    }
    const received = stream(client, 'in');
    const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; verb?: string; payload?: { hex: string } });
    const framesRead = steps.filter((s) => s.type === 'step' && s.verb === 'recv').map((s) => s.payload?.hex);
    const frames = events.filter((e) => e.type === 'mark' && e.mark === 'frame');
    assert.equal(frames.length, 3);
    assert.deepEqual(frames.map((m) => m.label), ['recv frame u16 after 4 timeout 3s', 'recv frame u16 after 4 timeout 3s', 'recv frame u16 after 4 timeout 3s']);
    assert.deepEqual(frames.map((m) => received.subarray(m.offset, (m.offset as number) + (m.length as number)).toString('hex')), framesRead, 'each frame mark selects the bytes its recv returned');
    assert.equal(frames.reduce((n, m) => n + (m.length as number), 0), received.length, 'the frames cover every byte received');
    const fields = events.filter((e) => e.type === 'mark' && e.mark === 'field');
    const first = fields.find((m) => /^first = "1000"$/.test(m.label ?? ''));
    assert.ok(first, JSON.stringify(fields));
    // `capture first u16 at 9` of the first frame: two bytes, 1000 big-endian.
    assert.equal(first.offset, (frames[0].offset as number) + 9);
    assert.equal(received.subarray(first.offset, first.offset + (first.length as number)).toString('hex'), '03e8');
    const atTwo = fields.find((m) => m.label === 'expect hex 00 00 ?? ?? 01 03 04 at 2');
    assert.deepEqual([atTwo?.offset, atTwo?.length], [(frames[0].offset as number) + 2, 7]);
    const exactly = fields.filter((m) => m.label?.startsWith('expect exactly'));
    assert.deepEqual(exactly.map((m) => [m.offset, m.length]), frames.slice(1).map((f) => [f.offset, f.length]), 'expect exactly looks at the whole frame');
  });

  it('UDP: a capture in the second datagram is marked at its offset in the datagrams the socket received', async () => {
    const { peer, port } = await startPeer('udp.py', ['echo', '0', '2']);
    const f = await tempSock(`### two datagrams\nconnect udp 127.0.0.1:${port}\nsend "first"\nrecv\nsend hex 00 01 02 03 04\nrecv\ncapture n u16 at 1\nexpect hex 03 04 at 3\n`);
    const r = await cli(['run', f.file, '--json']);
    await peer.exited;
    await f.remove();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const { events, stream } = trafficOf(r.stdout);
    const socket = events.find((e) => e.type === 'data')?.id as string;
    assert.deepEqual(events.filter((e) => e.type === 'data' && e.direction === 'in').map((e) => e.offset), [0, 5]);
    const marks = events.filter((e) => e.type === 'mark');
    assert.deepEqual(marks.map((m) => [m.mark, m.id, m.direction, m.offset, m.length, m.label]), [
      ['field', socket, 'in', 6, 2, 'n = "258"'],
      ['field', socket, 'in', 8, 2, 'expect hex 03 04 at 3'],
    ]);
    assert.equal(stream(socket, 'in').subarray(6, 8).toString('hex'), '0102');
  });
});

describe('the traffic view’s frames and marked fields (page model)', () => {
  let seq = 0;
  const data = (id: string, direction: 'in' | 'out', offset: number, hex: string): WireEvent => {
    const b = Buffer.from(hex.replace(/\s/g, ''), 'hex');
    return { seq: ++seq, ts: 0, id, kind: 'data', direction, bytes: b.length, offset, payload: b.toString('base64') };
  };
  const mark = (id: string, kind: 'frame' | 'field', offset: number, length: number, label: string): WireEvent => ({ seq: ++seq, ts: 0, id, kind: 'mark', direction: 'in', offset, bytes: length, mark: kind, label });
  const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

  it('cuts one connection’s received chunks at its frames, with rows for the bytes before, between and after them; other traffic keeps its chunks', () => {
    seq = 0;
    const store = new EventStore();
    store.push([
      data('c1', 'out', 0, '0a0b'),
      // Two chunks carry: 2 bytes no frame reads, a 3-byte frame, a 4-byte frame split across them, 1 byte left.
      data('c1', 'in', 0, 'ffee 0002 aa 00'),
      data('c2', 'in', 0, '5151'),
      data('c1', 'in', 6, '03 bbcc dd 99'),
      mark('c1', 'frame', 2, 3, 'recv frame u16'),
      mark('c1', 'field', 3, 1, 'n = "2"'),
      mark('c1', 'frame', 5, 5, 'recv frame u16'),
    ]);
    const rows = cutAtFrames(store.all(), store.marks).map((e) => [e.wire.id, e.wire.direction, e.wire.mark ?? e.wire.label ?? '', hex(e.payload)]);
    assert.deepEqual(rows, [
      ['c1', 'out', '', '0a0b'],
      ['c2', 'in', '', '5151'],
      ['c1', 'in', UNFRAMED, 'ffee'],
      ['c1', 'in', 'frame', '0002aa'],
      ['c1', 'in', 'frame', '0003bbccdd'],
      ['c1', 'in', UNFRAMED, '99'],
    ]);
    const seqs = cutAtFrames(store.all(), store.marks).map((e) => e.wire.seq);
    assert.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'rows keep their order by seq');
    assert.equal(new Set(seqs).size, seqs.length, 'and each has its own');
    assert.deepEqual(store.marks.fieldsIn('c1', 'in', 2, 5).map((m) => m.label), ['n = "2"']);
    assert.deepEqual(store.marks.fieldsIn('c1', 'in', 5, 10), [], 'a field outside the row is not its mark');
    assert.equal(store.markCount, 3);
  });

  it('a frame whose bytes the view no longer holds says so by its length; marks go with the events that held them', () => {
    seq = 0;
    const store = new EventStore(4);
    store.push([data('c1', 'in', 0, '00 01 aa'), data('c1', 'in', 3, '00 02 bb cc'), mark('c1', 'frame', 0, 3, 'recv frame u16'), mark('c1', 'frame', 3, 4, 'recv frame u16')]);
    store.push([data('c9', 'out', 0, '01')]);
    // The first chunk was let go: its frame mark is still held, its bytes are not.
    assert.equal(store.length, 4);
    const frames = cutAtFrames(store.all(), store.marks).filter((e) => e.wire.mark === 'frame');
    assert.deepEqual(frames.map((e) => [e.wire.bytes, hex(e.payload)]), [[3, ''], [4, '0002bbcc']]);
    store.push([data('c9', 'out', 1, '02'), data('c9', 'out', 2, '03'), data('c9', 'out', 3, '04')]);
    assert.equal(store.markCount, 0);
    assert.equal(store.marks.hasFrames, false, 'no frame is left once its mark is let go');
    store.clear();
    assert.equal(store.marks.fieldsIn('c1', 'in', 0, 100).length, 0);
  });

  it('the marked hex dump joins to xxd’s lines and marks exactly the field’s pairs and characters', () => {
    const bytes = Buffer.from('000102030405060708090a0b0c0d0e0f4142', 'hex');
    const spans = [
      { mark: 'field' as const, start: 103, end: 105, label: 'len = "1027"', seq: 1 },
      { mark: 'field' as const, start: 114, end: 118, label: 'expect hex 0e 0f 41 42 at 14', seq: 2 },
      { mark: 'field' as const, start: 115, end: 116, label: 'b = "15"', seq: 3 },
    ];
    const lines = markedHexLines(bytes, 100, spans);
    assert.deepEqual(lines.map((l) => l.map((s) => s.text).join('')), payloadLines(bytes, 'hex', 'utf-8'));
    const marked = (line: number): [string, number][] => lines[line].filter((s) => s.mark !== undefined).map((s) => [s.text, s.mark as number]);
    // 03 and 04 sit in two groups: the space between them is marked, as both bytes are; the one after 04 is not.
    assert.deepEqual(marked(0), [['03 04', 0], ['0e', 1], ['0f', 2], ['..', 0], ['.', 1], ['.', 2]]);
    assert.deepEqual(marked(1), [['4142', 1], ['AB', 1]]);
    assert.equal(markedHexLines(bytes, 100, spans, 1).length, 1);
  });

  it('an index answers for a socket direction only, and finds a long mark that began before the row', () => {
    seq = 0;
    const index = new MarkIndex();
    const store = new EventStore();
    store.push([mark('c1', 'field', 0, 1000, 'whole'), mark('c1', 'field', 994, 2, 'tail'), mark('c1', 'field', 990, 2, 'before'), mark('c2', 'field', 995, 1, 'other')]);
    index.add(store.all());
    assert.deepEqual(index.fieldsIn('c1', 'in', 995, 1010).map((m) => m.label), ['whole', 'tail']);
    assert.deepEqual(index.fieldsIn('c1', 'out', 995, 1010), []);
  });
});
