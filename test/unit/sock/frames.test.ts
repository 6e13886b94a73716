import { strict as assert } from 'node:assert';
import { parseSock } from '../../../src/sock/parser';
import { printSock } from '../../../src/sock/printer';
import { runSock, start, type Running } from '../helpers';

/** A Python peer that accepts one client and sends `payload` (Python bytes syntax), then closes (`close`) or waits for the client to close. */
async function peerSending(payload: string, close = false): Promise<{ peer: Running; port: number }> {
  const peer = start('python3', ['-c', [
    'import socket, struct, time',
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1); s.settimeout(10)",
    "print('listening', s.getsockname()[1], flush=True)",
    'c, _ = s.accept(); c.settimeout(10)',
    `c.sendall(${payload})`,
    close ? 'c.close()' : 'c.recv(1)',
  ].join('\n')]);
  return { peer, port: Number((await peer.waitFor(/listening (\d+)\r?\n/))[1]) };
}

describe('recv frame: length-prefixed frames from a real peer (spec §8.1)', () => {
  it('reads frames of every kind one after another, each the whole frame, leaving the rest queued', async () => {
    const { port } = await peerSending(
      [
        "struct.pack('>H', 5) + b'hello'", // DNS over TCP: a 2-byte length
        "bytes([0x30, 0xac, 0x02]) + b'x' * 300", // MQTT: a type byte, then a varint (300)
        "struct.pack('<I', 4 + 3) + b'abc'", // a little-endian length that counts itself
        "struct.pack('>H', 0)", // an empty frame
        "b'tail'",
      ].join(' + '),
    );
    const r = await runSock([
      '### t',
      `connect tcp 127.0.0.1:${port}`,
      'recv frame u16 timeout 3s',
      'expect exactly hex 0005 "hello"',
      'recv frame varint after 1 timeout 3s',
      'expect bytes 303',
      'expect hex 30 ac 02 78 at 0',
      'recv frame u32le inclusive timeout 3s',
      'expect exactly u32le 7 "abc"',
      'recv frame u16',
      'expect exactly hex 00 00',
      'recv exactly 4 timeout 3s',
      'expect exactly "tail"',
    ].join('\n'));
    assert.deepEqual(r.steps.filter((e) => e.status !== 'ok' && e.status !== 'pass').map((e) => `${e.source}: ${e.detail}`), []);
    assert.equal(r.summary.passed, 6);
  });

  it('fails with EOF when the peer closes inside a frame, and with ETOOBIG before reading a body over 16 MiB', async () => {
    const cut = await peerSending("struct.pack('>H', 10) + b'short'", true);
    const r1 = await runSock(`### t\nconnect tcp 127.0.0.1:${cut.port}\nrecv frame u16 timeout 3s\n`);
    const s1 = r1.steps.find((e) => e.verb === 'recv');
    assert.equal(s1?.code, 'EOF', String(s1?.detail));
    assert.match(String(s1?.detail), /^recv frame u16: the peer closed the connection after 5 of 10 bytes: "short"/);
    const huge = await peerSending("struct.pack('>I', 0x7fffffff)");
    const r2 = await runSock(`### t\nconnect tcp 127.0.0.1:${huge.port}\nrecv frame u32 timeout 3s\n`);
    const s2 = r2.steps.find((e) => e.verb === 'recv');
    assert.equal(s2?.code, 'ETOOBIG');
    assert.match(String(s2?.detail), /a frame of 2147483647 bytes is more than the 16777216-byte limit/);
    const negative = await peerSending("struct.pack('>h', -1)");
    const r3 = await runSock(`### t\nconnect tcp 127.0.0.1:${negative.port}\nrecv frame i16 timeout 3s\n`);
    assert.match(String(r3.steps.find((e) => e.verb === 'recv')?.detail), /the length -1 is negative/);
  });

  it('parses, prints and refuses frames as the spec says', () => {
    const text = '### t\nconnect tcp 127.0.0.1:9\nrecv frame varint after 1 inclusive timeout 2s\nrecv frame u16\n';
    const file = parseSock(text);
    assert.deepEqual(file.diagnostics, []);
    assert.match(printSock(file), /recv frame varint after 1 inclusive timeout 2s\nrecv frame u16\n/);
    const bad = parseSock('### t\nconnect tcp 127.0.0.1:9\nrecv frame dec\nrecv frame u17\nrecv frame u16 timout 1s\n### u\nconnect udp 127.0.0.1:9\nrecv frame u16\n');
    assert.deepEqual(bad.diagnostics.map((d) => `${d.range.start.line}:${d.message}`), [
      "2:recv frame takes its length's type: u8 … u64, u16le …, i8 … i64 or varint; not \"dec\"",
      '3:"u17" is not a length type (did you mean "u16"?)',
      '4:unexpected "timout" (did you mean "timeout"?)',
      '7:recv frame is for streams; a UDP recv returns one datagram',
    ]);
  });

  it('reads delimited frames (STX … ETX), skipping what comes before the start and saying so', async () => {
    const { port } = await peerSending("b'noise' + b'\\x02hello\\x03' + b'\\x02wor' + b'ld\\x03tail'");
    const r = await runSock([
      '### t',
      `connect tcp 127.0.0.1:${port}`,
      'recv frame from hex 02 to hex 03 timeout 3s',
      'expect exactly hex 02 "hello" hex 03',
      'recv frame from hex 02 to hex 03 timeout 3s',
      'expect exactly hex 02 "world" hex 03',
      'recv exactly 4 timeout 3s',
      'expect exactly "tail"',
    ].join('\n'));
    assert.deepEqual(r.steps.filter((e) => e.status !== 'ok' && e.status !== 'pass').map((e) => `${e.source}: ${e.detail}`), []);
    assert.deepEqual(r.steps.filter((e) => e.verb === 'recv').map((e) => e.detail), ['7 bytes; 5 bytes before the start skipped', '7 bytes', '4 bytes']);
    const printed = printSock(parseSock('### t\nconnect tcp 127.0.0.1:9\nrecv frame from "<" to ">" timeout 2s\n'));
    assert.match(printed, /recv frame from "<" to ">" timeout 2s/);
    assert.deepEqual(parseSock('### t\nconnect tcp 127.0.0.1:9\nrecv frame from "<" tu ">"\n').diagnostics.map((d) => d.message), ['unexpected "tu" (did you mean "to"?)']);
  });
});
