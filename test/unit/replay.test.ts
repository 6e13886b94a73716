import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { TrafficCapture } from '../../src/net/capture';
import { DatagramSocket } from '../../src/net/datagram';
import { SocketLabError } from '../../src/net/errors';
import { StreamListener } from '../../src/net/listener';
import { encodeInt, parseIntLiteral } from '../../src/net/fields';
import { decodeEscapes, decodeHex } from '../../src/net/payload';
import { StreamConnection } from '../../src/net/stream';
import { TrafficBus, type TrafficEvent } from '../../src/net/traffic';
import type { FieldPart, Payload, Step, Template } from '../../src/sock/ast';
import { parseSock } from '../../src/sock/parser';
import { replayBlock } from '../../src/sock/replay';
import { cli, freePort, run, start, startPeer, tempSock, type Finished } from './helpers';

const T0 = Date.UTC(2026, 10, 21, 8, 50, 31, 123);
const OPTS = { timeoutMs: 5000 };

/** The bytes of a payload without references, as the runner makes them. */
function bytesOf(p: Payload, eol: 'crlf' | 'lf'): Buffer {
  const text = (t: Template): string =>
    t.parts
      .map((part) => {
        assert.ok('text' in part, 'a replay payload has no {{references}}');
        return part.text;
      })
      .join('');
  if (p.kind === 'text') return decodeEscapes(text(p.template));
  if (p.kind === 'hex') return decodeHex(text(p.template));
  if (p.kind === 'heredoc') return Buffer.from(p.lines.map((l) => text(l) + (eol === 'crlf' ? '\r\n' : '\n')).join(''), 'utf8');
  if (p.kind === 'fields') return fieldBytes(p.parts, eol);
  assert.fail(`unexpected payload kind ${p.kind}`);
}

/** The bytes of literal field parts, read as §4.6 says: a `len` is the byte length of the group after it. */
function fieldBytes(parts: readonly FieldPart[], eol: 'crlf' | 'lf'): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.kind === 'payload') out.push(bytesOf(part.payload, eol));
    else if (part.kind === 'group') out.push(fieldBytes(part.parts, eol));
    else if (part.kind === 'int') out.push(encodeInt(part.type, parseIntLiteral(part.value as string) as bigint));
    else if (part.kind === 'length') {
      const group = parts[++i];
      assert.ok(group?.kind === 'group', 'a length is followed by its group');
      const body = fieldBytes(group.parts, eol);
      out.push(encodeInt(part.type, BigInt(body.length)), body);
    } else assert.fail(`unexpected field part ${part.kind}`);
  }
  return Buffer.concat(out);
}

/**
 * Parses a replay and reads back what it sends and what it checks: each `send`, and each receive
 * step with the bytes of the `expect` after it (`recv exactly N` must be followed by an `expect` of
 * exactly N bytes). Fails on any diagnostic.
 */
function readBack(text: string): { header: string; steps: { dir: 'out' | 'in' | 'fin' | 'shutdown'; bytes: Buffer }[]; block: ReturnType<typeof parseSock>['blocks'][number] } {
  const parsed = parseSock(text);
  assert.deepEqual(parsed.diagnostics, [], text);
  assert.equal(parsed.blocks.length, 1);
  const block = parsed.blocks[0];
  const out: { dir: 'out' | 'in' | 'fin' | 'shutdown'; bytes: Buffer }[] = [];
  const steps: readonly Step[] = block.steps;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s.kind === 'send') out.push({ dir: 'out', bytes: bytesOf(s.payload, block.eol) });
    else if (s.kind === 'shutdown') out.push({ dir: 'shutdown', bytes: Buffer.alloc(0) });
    else if (s.kind === 'recv') {
      const next = steps[++i];
      assert.ok(next?.kind === 'expect', `a receive is followed by its expect: ${text}`);
      if (next.matcher.kind === 'regex') {
        assert.equal(next.matcher.source, '^$');
        out.push({ dir: 'fin', bytes: Buffer.alloc(0) });
        continue;
      }
      assert.ok(next.matcher.kind === 'contains');
      const bytes = bytesOf(next.matcher.payload, block.eol);
      if (s.mode === 'exactly') assert.equal(s.max, bytes.length, 'recv exactly N reads as many bytes as the expect checks');
      else assert.equal(s.mode, 'chunk');
      out.push({ dir: 'in', bytes });
    } else assert.fail(`unexpected step ${s.source}`);
  }
  return { header: block.header?.source ?? '', steps: out, block };
}

/** Merges consecutive received pieces, as the replay reads one run in several steps. */
function mergeIn(steps: readonly { dir: string; bytes: Buffer }[]): { dir: string; bytes: Buffer }[] {
  const out: { dir: string; bytes: Buffer }[] = [];
  for (const s of steps) {
    const last = out[out.length - 1];
    if (s.dir === 'in' && last?.dir === 'in') last.bytes = Buffer.concat([last.bytes, s.bytes]);
    else out.push({ dir: s.dir, bytes: s.bytes });
  }
  return out;
}

let clock = T0;
function ev(e: Record<string, unknown>): TrafficEvent {
  return { ts: (clock += 1), ...e } as unknown as TrafficEvent;
}

function clientOpen(id = 'c3', transport = 'tcp', remote = '127.0.0.1:8080'): TrafficEvent {
  return ev({ type: 'open', id, transport, local: '127.0.0.1:51234', remote });
}

function data(direction: 'in' | 'out', payload: Buffer | string, id = 'c3', extra: Record<string, unknown> = {}): TrafficEvent {
  return ev({ type: 'data', id, direction, payload: Buffer.from(payload), ...extra });
}

describe('replay: a captured connection as a .sock block', () => {
  describe('the block it writes', () => {
    it('a client connection: header comment, title, connect, one send per chunk, recv exactly + expect per received run', () => {
      clock = T0;
      const events = [
        ev({ type: 'open', id: 'c9', transport: 'tcp', local: '127.0.0.1:4000', remote: '127.0.0.1:7' }),
        clientOpen(),
        data('out', 'PING "x"\r\n'),
        data('in', 'PO'),
        data('in', 'NG\n'),
        ev({ type: 'half-close', id: 'c3', direction: 'in' }),
        ev({ type: 'half-close', id: 'c3', direction: 'out' }),
        ev({ type: 'close', id: 'c3', bytesIn: 5, bytesOut: 10 }),
      ];
      const { text, warnings } = replayBlock(events, 'c3');
      assert.deepEqual(warnings, []);
      assert.equal(
        text,
        [
          '# Recorded by Socket Lab at 2026-11-21T08:50:31.125Z: c3, a tcp client, 127.0.0.1:51234 → 127.0.0.1:8080.',
          '# What came back is read with recv exactly N, so it passes however the peer chunks its bytes.',
          '### Replay of c3: tcp 127.0.0.1:8080',
          'connect tcp 127.0.0.1:8080',
          'send "PING \\"x\\"\\r\\n"',
          'recv exactly 5',
          'expect "PONG\\n"',
          'recv',
          'expect /^$/',
          '',
        ].join('\n'),
      );
    });

    it('an accepted connection: connects to the listener address and plays the peer (sends what came in, checks what went out)', () => {
      clock = T0;
      const events = [
        ev({ type: 'listening', id: 'l1', transport: 'tcp', local: '0.0.0.0:9000' }),
        ev({ type: 'open', id: 'c2', transport: 'tcp', local: '[::ffff:127.0.0.1]:9000', remote: '[::ffff:127.0.0.1]:40000', listener: 'l1' }),
        data('out', 'welcome\n', 'c2'),
        data('in', 'hello\n', 'c2'),
        ev({ type: 'half-close', id: 'c2', direction: 'in' }),
        data('out', 'bye\n', 'c2'),
        ev({ type: 'half-close', id: 'c2', direction: 'out' }),
        ev({ type: 'close', id: 'c2', bytesIn: 6, bytesOut: 12 }),
      ];
      const { text } = replayBlock(events, 'c2', { title: 'Greeter\nagain' });
      assert.match(text, /^### Greeter again$/m);
      const r = readBack(text);
      assert.equal(r.header, 'connect tcp 127.0.0.1:9000', 'an IPv4-mapped address is dialled as IPv4');
      assert.deepEqual(
        r.steps.map((s) => [s.dir, s.bytes.toString()]),
        [
          ['in', 'welcome\n'],
          ['out', 'hello\n'],
          ['shutdown', ''],
          ['in', 'bye\n'],
          ['fin', ''],
        ],
      );
    });

    it('text lines that end with the line ending become a heredoc; LF lines set eol lf', () => {
      clock = T0;
      const crlf = replayBlock([clientOpen(), data('out', 'GET / HTTP/1.0\r\nHost: a\r\n\r\n')], 'c3');
      assert.match(crlf.text, /^send <<END\nGET \/ HTTP\/1\.0\nHost: a\n\nEND$/m);
      assert.doesNotMatch(crlf.text, /^eol/m);
      const lf = replayBlock([clientOpen(), data('out', 'a\nb\n'), data('in', 'one\ntwo\n')], 'c3');
      assert.match(lf.text, /^eol lf$/m);
      assert.match(lf.text, /^recv exactly 8\nexpect <<END\none\ntwo\nEND$/m);
      // A line the parser would read as the closing tag or a new block is not written as a heredoc line.
      const tricky = replayBlock([clientOpen(), data('out', 'END\n### x\n'), data('out', 'END\nx\n')], 'c3');
      assert.match(tricky.text, /^send "END\\n### x\\n"$/m);
      assert.match(tricky.text, /^send <<END1\nEND\nx\nEND1$/m);
      assert.deepEqual(readBack(tricky.text).steps.map((s) => s.bytes.toString()), ['END\n### x\n', 'END\nx\n']);
    });

    it('binary payloads as hex, {{ escaped, long runs checked in pieces, valid UTF-8 shown as itself', () => {
      clock = T0;
      const binary = Buffer.from(Array.from({ length: 70 }, (_, i) => (i * 37) & 0xff));
      const { text } = replayBlock([clientOpen(), data('out', '{{name}} é'), data('in', binary)], 'c3');
      assert.match(text, /^send "\\x7b\{name}} é"$/m);
      assert.match(text, /^recv exactly 32\nexpect hex 00254a6f 94b9de03 284d7297 bce1062b 50759abf e4092e53 789dc2e7 0c31567b$/m);
      assert.match(text, /^recv exactly 6\nexpect hex [0-9a-f]{8} [0-9a-f]{4}$/m);
      const back = readBack(text);
      assert.equal(back.steps[0].bytes.toString(), '{{name}} é');
      assert.deepEqual(mergeIn(back.steps)[1].bytes, binary);
    });

    it('a binary send that begins with a length of the rest is written with a computed len: u16, u32, MQTT\'s type byte and varint', () => {
      clock = T0;
      const rest = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 29 + 1) & 0xff));
      const dnsOverTcp = Buffer.concat([Buffer.from([0x00, 0x21]), rest(33)]);
      const rpc = Buffer.concat([Buffer.from([0x00, 0x00, 0x01, 0x2c]), rest(300)]);
      const mqttPublish = Buffer.concat([Buffer.from([0x30, 0xc8, 0x01]), rest(200)]);
      // A varint of 200 written in 3 bytes is not the shortest form: the builder would write 2, so hex it stays.
      const longForm = Buffer.concat([Buffer.from([0x30, 0xc8, 0x81, 0x00]), rest(200)]);
      const miscounted = Buffer.concat([Buffer.from([0x00, 0x22]), rest(33)]);
      const { text } = replayBlock([clientOpen(), ...[dnsOverTcp, rpc, mqttPublish, longForm, miscounted].map((b) => data('out', b))], 'c3');
      const sends = text.split('\n').filter((l) => l.startsWith('send '));
      assert.match(sends[0], /^send u16 len \( hex 011e3b58 [0-9a-f ]+ \)$/);
      assert.match(sends[1], /^send u32 len \( hex [0-9a-f ]+ \)$/);
      assert.match(sends[2], /^send u8 0x30 varint len \( hex [0-9a-f ]+ \)$/);
      assert.match(sends[3], /^send hex 30c88100 /);
      assert.match(sends[4], /^send hex 0022011e /, 'a length that does not count the rest is not a length');
      assert.deepEqual(readBack(text).steps.map((s) => s.bytes.toString('hex')), [dnsOverTcp, rpc, mqttPublish, longForm, miscounted].map((b) => b.toString('hex')));
    });

    it('a reply that took long when recorded gets a timeout of twice the wait', () => {
      clock = T0;
      const sent = data('out', 'slow?\n');
      const events = [clientOpen(), sent, { ...data('in', 'yes\n'), ts: sent.ts + 4000 }];
      assert.match(replayBlock(events, 'c3').text, /^recv exactly 4 timeout 8s$/m);
    });

    it('a person typing the answer does not become a long timeout: at most 30 s, and a comment says how long it took', () => {
      clock = T0;
      const sent = data('out', 'hello?\n');
      const events = [clientOpen(), sent, { ...data('in', 'typed by hand\n'), ts: sent.ts + 49_200 }];
      const text = replayBlock(events, 'c3').text;
      assert.match(text, /^# this answer took 49\.2 s when recorded \(a person typing it\?\); the replay waits at most 30 s\nrecv exactly 14 timeout 30s$/m);
      assert.deepEqual(parseSock(text).diagnostics, []);
    });

    it('UDP: one send per datagram, one recv per reply; a UDP listener is replayed as one of its peers', () => {
      clock = T0;
      const client = [clientOpen('u4', 'udp', '127.0.0.1:5005'), data('out', 'a', 'u4'), data('out', 'b', 'u4'), data('in', 'A', 'u4', { peer: '127.0.0.1:5005' }), data('in', '', 'u4', { peer: '127.0.0.1:5005' })];
      const c = readBack(replayBlock(client, 'u4').text);
      assert.equal(c.header, 'connect udp 127.0.0.1:5005');
      assert.deepEqual(c.steps.map((s) => [s.dir, s.bytes.toString()]), [['out', 'a'], ['out', 'b'], ['in', 'A'], ['in', '']]);

      const listener = [
        ev({ type: 'listening', id: 'u1', transport: 'udp', local: '0.0.0.0:6000' }),
        data('in', 'from p', 'u1', { peer: '127.0.0.1:1111' }),
        data('in', 'from q', 'u1', { peer: '127.0.0.1:2222' }),
        data('out', 'to q', 'u1', { peer: '127.0.0.1:2222' }),
        data('out', 'to p', 'u1', { peer: '127.0.0.1:1111' }),
      ];
      const first = replayBlock(listener, 'u1');
      assert.deepEqual(first.warnings, ['u1 also exchanged datagrams with 127.0.0.1:2222: the replay plays 127.0.0.1:1111 only', 'u1 was still open when exported: the replay covers its traffic so far']);
      const p = readBack(first.text);
      assert.equal(p.header, 'connect udp 127.0.0.1:6000', 'a wildcard bind is reached on loopback');
      assert.deepEqual(p.steps.map((s) => [s.dir, s.bytes.toString()]), [['out', 'from p'], ['in', 'to p']]);
      const q = readBack(replayBlock(listener, 'u1', { peer: '127.0.0.1:2222' }).text);
      assert.deepEqual(q.steps.map((s) => [s.dir, s.bytes.toString()]), [['out', 'from q'], ['in', 'to q']]);
    });

    it('TLS: insecure only when the recording skipped verification; the agreed ALPN is offered; a servername when the certificate names a host, not the address', () => {
      clock = T0;
      const session = { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn: 'h2', verified: false, verifyError: 'DEPTH_ZERO_SELF_SIGNED_CERT' };
      const insecure = replayBlock([clientOpen('c5', 'tls', '127.0.0.1:8443'), ev({ type: 'tls', id: 'c5', session, insecure: true })], 'c5').text;
      assert.match(insecure, /^connect tls 127\.0\.0\.1:8443\ninsecure\nalpn h2$/m);

      const cert = { subject: 'CN=example.test', issuer: 'CN=Some CA', validFrom: '', validTo: '', fingerprint256: 'AA', subjectAltName: 'DNS:*.example.test, DNS:example.test' };
      const verified = replayBlock([clientOpen('c6', 'tls', '192.0.2.7:443'), ev({ type: 'tls', id: 'c6', session: { ...session, alpn: false, verified: true, peerCertificate: cert }, insecure: false })], 'c6');
      assert.match(verified.text, /^connect tls 192\.0\.2\.7:443\nservername example\.test$/m);
      assert.doesNotMatch(verified.text, /insecure|alpn/);
      const parsed = parseSock(verified.text);
      assert.deepEqual(parsed.diagnostics, []);
      assert.equal(parsed.blocks[0].tls.servername, 'example.test');
    });

    it('a Unix socket path with a space is spelt through a variable', () => {
      clock = T0;
      const events = [ev({ type: 'open', id: 'c1', transport: 'unix', local: '(unnamed)', remote: '/tmp/my lab/echo.socket' }), data('out', 'x', 'c1')];
      const { text } = replayBlock(events, 'c1');
      assert.match(text, /^@replay-c1-path = \/tmp\/my lab\/echo\.socket\nconnect unix \{\{replay-c1-path\}\}$/m);
      const parsed = parseSock(text);
      assert.deepEqual(parsed.diagnostics, []);
      assert.deepEqual(parsed.variables.get('replay-c1-path')?.value.parts, [{ text: '/tmp/my lab/echo.socket' }]);
      assert.throws(() => replayBlock([ev({ type: 'open', id: 'c2', transport: 'unix', local: '(unnamed)', remote: '/tmp/a #b' })], 'c2'), (e: unknown) => e instanceof SocketLabError && e.code === 'EBADADDR');
    });

    it('says what the capture lacks: events it dropped or cut, a connection still open, an error when recorded', () => {
      clock = T0;
      const cut = replayBlock([clientOpen(), data('in', 'abc'), ev({ type: 'close', id: 'c3', bytesIn: 10, bytesOut: 0 })], 'c3');
      assert.deepEqual(cut.warnings, ['the capture holds 3 of 10 bytes received and 0 of 0 bytes sent on c3 (it dropped or cut payloads): the replay has only what it holds']);
      const open = replayBlock([clientOpen(), data('out', 'x')], 'c3');
      assert.deepEqual(open.warnings, ['c3 was still open when exported: the replay covers its traffic so far']);
      const failed = replayBlock([clientOpen(), data('out', 'x'), ev({ type: 'error', id: 'c3', code: 'ECONNRESET', message: 'tcp 127.0.0.1:8080: connection reset by peer (ECONNRESET)' }), ev({ type: 'close', id: 'c3', bytesIn: 0, bytesOut: 1 })], 'c3');
      assert.match(failed.text, /^# when recorded, c3 failed here: tcp 127\.0\.0\.1:8080: connection reset by peer \(ECONNRESET\)$/m);
      assert.deepEqual(failed.warnings, ['c3 failed when recorded (ECONNRESET); the replay does not check for that']);
    });

    it('refuses with ENOTCAPTURED what it cannot replay: an unknown id, a listener, a connection whose start was dropped', () => {
      clock = T0;
      const events = [ev({ type: 'listening', id: 'l1', transport: 'tcp', local: '127.0.0.1:9000' }), data('in', 'x', 'c7')];
      const code = (id: string, re: RegExp) =>
        assert.throws(
          () => replayBlock(events, id),
          (e: unknown) => e instanceof SocketLabError && e.code === 'ENOTCAPTURED' && re.test(e.message),
        );
      code('c99', /holds no events of c99/);
      code('l1', /l1 is a listener: export one of the connections it accepted/);
      code('c7', /no longer holds the start of c7/);
    });

    it('any bytes round-trip: the block parses with no diagnostics, and its sends and expects give back the captured bytes (fast-check)', () => {
      const texty = fc.constantFrom('GET / HTTP/1.0\r\n', 'a\nb\n', '{{x}}', '{', '###\n', 'END\n', '"\\', 'é€😀', '\u202e\u2028\u00a0', ' \t\n', 'x'.repeat(150) + '\n');
      const chunk = fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 120 }).map((a) => Buffer.from(a)),
        fc.array(texty, { minLength: 1, maxLength: 4 }).map((parts) => Buffer.from(parts.join(''))),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((s) => Buffer.from(s)),
        // Binary that begins with a length of the rest (u16, or an MQTT type byte and a 1- or 2-byte varint): written as fields.
        fc.uint8Array({ minLength: 1, maxLength: 200 }).chain((a) =>
          fc.constantFrom(
            Buffer.concat([Buffer.from([a.length >> 8, a.length & 0xff]), a]),
            Buffer.concat([Buffer.from(a.length < 128 ? [0x82, a.length] : [0x82, (a.length & 0x7f) | 0x80, a.length >> 7]), a]),
          ),
        ),
      );
      const conversation = fc.array(fc.record({ dir: fc.constantFrom<'in' | 'out'>('in', 'out'), bytes: chunk }), { minLength: 1, maxLength: 8 });
      fc.assert(
        fc.property(conversation, fc.constantFrom('tcp', 'udp'), (chunks, transport) => {
          clock = T0;
          const events = [clientOpen('c1', transport, '127.0.0.1:7000'), ...chunks.map((c) => data(c.dir, c.bytes, 'c1'))];
          const back = readBack(replayBlock(events, 'c1').text);
          if (transport === 'udp') {
            // Datagrams keep their boundaries: one step per datagram, in order.
            assert.deepEqual(back.steps.map((s) => [s.dir, s.bytes.toString('hex')]), chunks.map((c) => [c.dir, c.bytes.toString('hex')]));
          } else {
            // One send per chunk sent; the chunks received between two sends are checked as one run.
            const want = mergeIn(chunks.map((c) => ({ dir: c.dir, bytes: c.bytes })));
            assert.deepEqual(mergeIn(back.steps).map((s) => [s.dir, s.bytes.toString('hex')]), want.map((s) => [s.dir, s.bytes.toString('hex')]));
          }
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('record, then replay with the CLI against the same peer', () => {
    let work: { file: string; dir: string; remove: () => Promise<void> } | undefined;

    afterEach(async () => {
      await work?.remove();
      work = undefined;
    });

    /** Records what `talk` does on a fresh bus; resolves with the captured events. */
    async function record(talk: (bus: TrafficBus) => Promise<void>): Promise<TrafficEvent[]> {
      const bus = new TrafficBus();
      const capture = new TrafficCapture(bus);
      try {
        await talk(bus);
        return capture.events();
      } finally {
        await capture.dispose();
      }
    }

    async function replay(text: string): Promise<Finished> {
      await work?.remove();
      work = await tempSock(text, 'replay.sock');
      return cli(['run', work.file]);
    }

    function idOf(events: readonly TrafficEvent[], match: (e: TrafficEvent) => boolean): string {
      const e = events.find(match);
      assert.ok(e, 'the capture holds the connection');
      return e.id;
    }

    it('a client connection to the tutorial server (server.py) replays and passes', async () => {
      const { peer, port } = await startPeer('server.py', ['0', '2']);
      const events = await record(async (bus) => {
        const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, OPTS, bus);
        assert.equal((await conn.recvAll(OPTS)).toString(), 'Thank you for connecting');
        await conn.close();
      });
      const { text, warnings } = replayBlock(events, idOf(events, (e) => e.type === 'open'));
      assert.deepEqual(warnings, []);
      assert.match(text, new RegExp(`^connect tcp 127\\.0\\.0\\.1:${port}\\nrecv exactly 24\\nexpect "Thank you for connecting"\\nrecv\\nexpect /\\^\\$/\\n$`, 'm'));
      const r = await replay(text);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /✓ \[c\d+\] expect "Thank you for connecting"/);
      assert.match(r.stdout, /2 passed, 0 failed/);
      await peer.exited;
    });

    it('binary both ways (digest_server.py): passes against the same peer; a peer that answers other bytes fails the expect (exit 1)', async () => {
      const { peer, port } = await startPeer('digest_server.py', ['2']);
      const { peer: salted, port: saltedPort } = await startPeer('digest_server.py', ['1', 'salt']);
      const request = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 0xff));
      const events = await record(async (bus) => {
        const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, OPTS, bus);
        await conn.send(request.subarray(0, 100), OPTS);
        await conn.send(request.subarray(100), OPTS);
        conn.shutdown();
        assert.equal((await conn.recvAll(OPTS)).length, 36);
        await conn.close();
      });
      const { text } = replayBlock(events, idOf(events, (e) => e.type === 'open'));
      assert.equal(text.match(/^send hex /gm)?.length, 2, 'one send per chunk sent');
      assert.match(text, /^shutdown\nrecv exactly 32\nexpect hex [0-9a-f ]+\nrecv exactly 4\nexpect hex [0-9a-f]{8}\nrecv\nexpect \/\^\$\/$/m);
      const same = await replay(text);
      assert.equal(same.code, 0, same.stdout + same.stderr);
      assert.match(same.stdout, /3 passed, 0 failed/);

      const other = await replay(text.replaceAll(`127.0.0.1:${port}`, `127.0.0.1:${saltedPort}`));
      assert.equal(other.code, 1, other.stdout + other.stderr);
      assert.match(other.stdout, /✗ \[c\d+\] expect hex [0-9a-f ]+\n +"[^\n]*" not in 32 bytes/);
      assert.match(other.stdout, /0 passed, 1 failed/, 'the first expect that fails ends the block');
      await Promise.all([peer.exited, salted.exited]);
    });

    it('an accepted connection (a Python client of a Socket Lab listener) replays as that client; a listener that answers differently fails', async () => {
      const bus = new TrafficBus();
      const capture = new TrafficCapture(bus);
      let greeting = 'got';
      const failures: unknown[] = [];
      const sessions: Promise<void>[] = [];
      const listener = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, {}, bus, (conn) => {
        const session = async (): Promise<void> => {
          const got = await conn.recvAll(OPTS);
          await conn.send(Buffer.concat([Buffer.from(`${greeting} ${got.length} bytes: `), Buffer.from(got).reverse()]), OPTS);
          await conn.close();
        };
        sessions.push(session().catch((err: unknown) => void failures.push(err)));
      });
      try {
        const port = (listener.endpoint as { port: number }).port;
        const client = await run('python3', [join(__dirname, '..', 'peers', 'client.py'), String(port), '127.0.0.1', 'hello\\x00\\xff\\n']);
        assert.equal(client.code, 0, client.stderr);
        assert.equal(client.stdout.trim(), String.raw`b'got 8 bytes: \n\xff\x00olleh'`);
        await Promise.all(sessions); // the session's close is in the capture
        const events = capture.events();
        const { text, warnings } = replayBlock(events, idOf(events, (e) => e.type === 'open' && e.listener === listener.id));
        assert.deepEqual(warnings, []);
        assert.match(text, new RegExp(`^connect tcp 127\\.0\\.0\\.1:${port}\\nsend "hello\\\\0\\\\xff\\\\n"\\nshutdown\\nrecv exactly 14\\nexpect "got 8 bytes: \\\\n"\\nrecv exactly 7\\nexpect "\\\\xff\\\\0olleh"\\nrecv\\nexpect /\\^\\$/$`, 'm'));
        const same = await replay(text);
        assert.equal(same.code, 0, same.stdout + same.stderr);

        greeting = 'GOT';
        const other = await replay(text);
        assert.equal(other.code, 1, other.stdout + other.stderr);
        assert.match(other.stdout, /✗ \[c\d+\] expect "got 8 bytes: \\n" +"got 8 bytes: \\n" not in 14 bytes "GOT 8 bytes: \\n"/);
        assert.deepEqual(failures, []);
      } finally {
        await capture.dispose();
        await listener.close();
      }
    });

    it('a UDP client of a Python echo peer (udp.py): one datagram per send and per reply, text and binary', async () => {
      const { peer, port } = await startPeer('udp.py', ['echo', '0', '4']);
      const binary = Buffer.from(Array.from({ length: 40 }, (_, i) => 255 - i * 3));
      const events = await record(async (bus) => {
        const sock = await DatagramSocket.connect('127.0.0.1', port, bus);
        try {
          await sock.send(Buffer.from('ping over UDP\n'));
          assert.equal((await sock.recv(undefined, OPTS)).payload.toString(), 'ping over UDP\n');
          await sock.send(binary);
          assert.deepEqual((await sock.recv(undefined, OPTS)).payload, binary);
        } finally {
          await sock.close();
        }
      });
      const { text, warnings } = replayBlock(events, idOf(events, (e) => e.type === 'open'));
      assert.deepEqual(warnings, []);
      assert.match(text, new RegExp(`^connect udp 127\\.0\\.0\\.1:${port}\\nsend "ping over UDP\\\\n"\\nrecv\\nexpect "ping over UDP\\\\n"\\nsend hex ff`, 'm'));
      const r = await replay(text);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /2 passed, 0 failed/);
      await peer.exited;
    });

    it('a UDP listener: the replay plays the Python sender (udp.py send) and checks the listener\'s reply', async () => {
      const bus = new TrafficBus();
      const capture = new TrafficCapture(bus);
      const failures: unknown[] = [];
      const replies: Promise<void>[] = [];
      const sock = await DatagramSocket.bind('127.0.0.1', 0, bus);
      sock.onDatagram = (d) => replies.push(sock.send(Buffer.concat([Buffer.from('ack '), d.payload]), { address: d.address, port: d.port }).catch((err: unknown) => void failures.push(err)));
      try {
        const port = Number(sock.local.split(':')[1]);
        const sender = await run('python3', [join(__dirname, '..', 'peers', 'udp.py'), 'send', String(port), 'hi there']);
        assert.equal(sender.stdout.trim(), "b'ack hi there'", sender.stderr);
        await Promise.all(replies); // the reply is in the capture
        const { text } = replayBlock(capture.events(), sock.id);
        assert.match(text, new RegExp(`^connect udp 127\\.0\\.0\\.1:${port}\\nsend "hi there"\\nrecv\\nexpect "ack hi there"\\n$`, 'm'));
        const r = await replay(text);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual(failures, []);
      } finally {
        await capture.dispose();
        await sock.close();
      }
    });

    it('MQTT to mosquitto: the CONNECT is written with its computed remaining length, and the replay connects again and gets CONNACK', async () => {
      const port = await freePort();
      const broker = start('mosquitto', ['-p', String(port), '-v'], { timeoutMs: 30_000 });
      try {
        // "running" comes once every listen socket is open (the "Opening …" line comes before it is).
        await broker.waitFor(/mosquitto version [\d.]+ running/, 15_000);
        // CONNECT, MQTT 3.1.1: protocol name, level 4, clean session, keep-alive 60, client id.
        const variable = Buffer.concat([Buffer.from([0, 4]), Buffer.from('MQTT'), Buffer.from([4, 2, 0, 60, 0, 13]), Buffer.from('socket-lab-rr')]);
        const connect = Buffer.concat([Buffer.from([0x10, variable.length]), variable]);
        const events = await record(async (bus) => {
          const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, OPTS, bus);
          await conn.send(connect, OPTS);
          assert.equal((await conn.recvExactly(4, OPTS)).toString('hex'), '20020000', 'CONNACK, accepted');
          await conn.send(Buffer.from([0xe0, 0x00]), OPTS);
          assert.equal((await conn.recvAll(OPTS)).length, 0, 'the broker closes after DISCONNECT');
          await conn.close();
        });
        const { text } = replayBlock(events, idOf(events, (e) => e.type === 'open'));
        assert.match(text, /^send u8 0x10 varint len \( hex 00044d51 54540402 003c000d [0-9a-f ]+ \)$/m);
        assert.match(text, /^recv exactly 4\nexpect hex 20020000$/m);
        const again = await replay(text);
        assert.equal(again.code, 0, again.stdout + again.stderr);
        assert.match(again.stdout, /2 passed, 0 failed/);
        // Both times the broker read the CONNECT of that client: the computed length was right.
        await broker.waitFor(/New client connected from [^\n]* as socket-lab-rr[\s\S]*New client connected from [^\n]* as socket-lab-rr/);
      } finally {
        broker.child.kill('SIGKILL');
      }
    });

    it('TLS to openssl s_server: the insecure recording replays insecure and passes', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'socket-lab-replay-tls-'));
      try {
        const cert = join(dir, 'cert.pem');
        const key = join(dir, 'key.pem');
        const made = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
        assert.equal(made.code, 0, made.stderr);
        const server = start('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', cert, '-key', key, '-naccept', '2', '-rev']);
        const port = Number((await server.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/))[1]);
        const events = await record(async (bus) => {
          const conn = await StreamConnection.connect({ transport: 'tls', host: '127.0.0.1', port }, { ...OPTS, tls: { insecure: true } }, bus);
          await conn.send(Buffer.from('hello\n'), OPTS);
          assert.equal((await conn.recvUntil(Buffer.from('\n'), OPTS)).toString(), 'olleh\n');
          await conn.close();
        });
        const { text } = replayBlock(events, idOf(events, (e) => e.type === 'open'));
        assert.match(text, new RegExp(`^connect tls 127\\.0\\.0\\.1:${port}\\ninsecure\\nsend "hello\\\\n"\\nrecv exactly 6\\nexpect "olleh\\\\n"\\n$`, 'm'));
        const r = await replay(text);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /NOT VERIFIED \(insecure\)/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
