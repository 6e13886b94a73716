import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import * as fc from 'fast-check';
import { encodeInt, intBounds, INT_TYPES, type IntType } from '../../../src/net/fields';
import type { Payload, SockFile } from '../../../src/sock/ast';
import { parseSock } from '../../../src/sock/parser';
import { printSock } from '../../../src/sock/printer';
import { hoverAt } from '../../../src/sock/hoverInfo';
import { hoverMarkdown } from '../../../src/sock/hoverMarkdown';
import { checkExpectation } from '../../../src/sock/run/expectations';
import { PayloadBuilder } from '../../../src/sock/run/payloads';
import { Scope } from '../../../src/sock/scope';
import { python, runSock, start } from '../helpers';

/** The payload of the first `send` in `text`, with a builder over the file's variables. */
function sendOf(text: string): { payload: Payload; builder: PayloadBuilder; file: SockFile } {
  const file = parseSock(text);
  assert.deepEqual(file.diagnostics.filter((d) => d.severity === 'error'), [], 'the test file parses');
  const step = file.blocks.flatMap((b) => b.steps).find((s) => s.kind === 'send');
  if (step?.kind !== 'send') throw new Error('no send step');
  return { payload: step.payload, builder: new PayloadBuilder(new Scope(file, () => undefined, true), tmpdir()), file };
}

async function bytesOf(line: string, vars = ''): Promise<Buffer> {
  const { payload, builder } = sendOf(`${vars}### t\nconnect tcp 127.0.0.1:9\n${line}\n`);
  return builder.bytes(payload, 'crlf');
}

/** The first error diagnostic of a one-line send block. */
function errorOf(line: string): { message: string; column: number } {
  const file = parseSock(`### t\nconnect tcp 127.0.0.1:9\n${line}\n`);
  const d = file.diagnostics.find((x) => x.severity === 'error');
  assert.ok(d, `no error for ${line}`);
  return { message: d.message, column: d.range.start.column };
}

/** Python's struct format of each fixed-width type: the independent reference for the bytes. */
const STRUCT: Partial<Record<IntType, string>> = { u8: '>B', u16: '>H', u16le: '<H', u32: '>I', u32le: '<I', u64: '>Q', u64le: '<Q', i8: '>b', i16: '>h', i16le: '<h', i32: '>i', i32le: '<i', i64: '>q', i64le: '<q' };

describe('field payloads: integers, lengths and groups (spec §4.6)', () => {
  it('writes every fixed-width type as Python\'s struct.pack does, and varint and dec as MQTT and RESP do (property, checked by python3)', async () => {
    const sample = fc.sample(
      fc.constantFrom(...INT_TYPES).chain((type) => {
        const { min, max } = intBounds(type);
        return fc.tuple(fc.constant(type), fc.oneof(fc.bigInt({ min, max }), fc.constantFrom(min, max, 0n < min ? min : 0n)));
      }),
      { numRuns: 300, seed: 15 },
    );
    const lines = sample.map(([type, v]) => `${type} ${v}`);
    // One python3 run packs them all: struct for the fixed widths; varint and dec by their definitions.
    const script = [
      'import struct, sys',
      `F = ${JSON.stringify(STRUCT)}`,
      'def varint(n):',
      '    out = bytearray()',
      '    while True:',
      '        b = n & 0x7f; n >>= 7',
      '        out.append(b | 0x80 if n else b)',
      '        if not n: return bytes(out)',
      `for line in ${JSON.stringify(lines)}:`,
      '    t, v = line.split(); v = int(v)',
      "    b = varint(v) if t == 'varint' else str(v).encode() if t == 'dec' else struct.pack(F[t], v)",
      '    print(b.hex())',
    ].join('\n');
    const expected = (await python(script)).trim().split('\n');
    assert.equal(expected.length, sample.length);
    sample.forEach(([type, v], i) => assert.equal(encodeInt(type, v).toString('hex'), expected[i], `${type} ${v}`));
    // And through the language: a whole line of them, each written as the parser reads it.
    const all = await bytesOf(`send ${lines.slice(0, 60).join(' ')}`);
    assert.equal(all.toString('hex'), expected.slice(0, 60).join(''));
  });

  it('computes a length from the group after it: MQTT CONNECT with its remaining length, a DNS-over-TCP prefix, RESP $N', async () => {
    const connect = await bytesOf('send u8 0x10 varint len ( u16 len ( "MQTT" ) u8 4 u8 0x02 u16 60 u16 len ( "socket-lab" ) )');
    // MQTT 3.1.1 §3.1: 10 bytes of variable header, then the client id with its 2-byte length.
    assert.equal(connect.toString('hex'), '101600044d5154540402003c000a736f636b65742d6c6162');
    // RESP's bulk string: $N, CRLF, then the N bytes: the length counts the group after the CRLF.
    const resp = await bytesOf('send "*1\\r\\n$" dec len "\\r\\n" ( "a\\x00\\r\\n\\xff" ) "\\r\\n"');
    assert.deepEqual(resp, Buffer.from('*1\r\n$5\r\na\0\r\n\xff\r\n', 'latin1'));
    const big = await bytesOf(`send varint len ( "${'x'.repeat(200)}" )`);
    assert.equal(big.subarray(0, 2).toString('hex'), 'c801', 'a varint of 200 takes two bytes, low 7 bits first');
  });

  it('mixes fields with text, hex, base64 and variables; hex words end where the next part starts', async () => {
    assert.equal((await bytesOf('send hex de ad u8 1 base64 AQI= "z" u16le {{n}}', '@n = 0x0102\n')).toString('hex'), 'dead01' + '0102' + '7a' + '0201');
    assert.equal((await bytesOf('send u32 {{n}}', '@n = -1\n').catch((e: Error) => e.message)), 'u32 {{n}}: -1 does not fit u32 (0 to 4294967295)');
  });

  it('keeps the payloads of version 1 as they were: one part is not a field payload', () => {
    for (const [line, kind] of [['send "a"', 'text'], ['send hex 41 42', 'hex'], ['send base64 QUI=', 'base64'], ['send file a.bin', 'file']] as const) {
      assert.equal(sendOf(`### t\nconnect tcp 127.0.0.1:9\n${line}\n`).payload.kind, kind, line);
    }
    assert.equal(sendOf('### t\nconnect tcp 127.0.0.1:9\nsend "a" "b"\n').payload.kind, 'fields');
  });

  it('explains a bad field where it is', () => {
    assert.deepEqual(errorOf('send u16 70000'), { message: '70000 does not fit u16 (0 to 65535)', column: 9 });
    assert.deepEqual(errorOf('send u8 -1'), { message: '-1 does not fit u8 (0 to 255)', column: 8 });
    assert.match(errorOf('send u16 len "x"').message, /u16 len is the length of the \( … \) group after it, and none follows/);
    assert.deepEqual(errorOf('send u8 1 ( u8 2'), { message: 'a ( without its ): close the group with ) as a word of its own', column: 10 });
    assert.match(errorOf('send u8 1 )').message, /a \) without its \(/);
    assert.match(errorOf('send u8 lots').message, /u8 takes an integer \(60, 0x3c, -1\), a \{\{variable\}\} or len; not "lots"/);
    assert.match(errorOf('send u8 1 u17 2').message, /"u17" is not a part of a payload \(did you mean "u16"\?\)/);
    assert.match(errorOf('send "a" <<END').message, /a heredoc is a payload of its own/);
    assert.match(errorOf(`send ${'( '.repeat(17)}${') '.repeat(17)}`).message, /groups nest at most 16 deep/);
  });

  it('shows in hover the bytes each part makes, at its offset, the part under the cursor marked', () => {
    const line = 'send u8 0x10 varint len ( u16 len ( "MQTT" ) u8 4 ) u16 {{id}} file x.bin u8 1';
    const text = `@id = 7\n### t\nconnect tcp 127.0.0.1:9\n${line}\n`;
    const file = parseSock(text);
    const h = hoverAt(text, file, 3, line.indexOf('"MQTT"') + 1);
    assert.ok(h?.info.kind === 'fields');
    assert.deepEqual([h.start, h.end], [5, line.length]);
    const md = hoverMarkdown(h.info);
    assert.match(md, /a variable or a file decides some of its bytes/);
    const rows = md.split('\n').filter((l) => /^[ ▶] /.test(l) && !l.includes('offset'));
    assert.deepEqual(rows.map((r) => r.replace(/\s+/g, ' ').trim()), [
      '0 10 u8 0x10',
      '1 07 varint len = 7',
      '2 ( … )',
      '2 00 04 u16 len = 4',
      '4 ( … )',
      '▶ 4 4d 51 54 54 "MQTT"',
      '8 04 u8 4',
      '9 (2 bytes when sent) u16 {{id}}',
      '11 (when sent) file x.bin',
      '? 01 u8 1',
    ]);
  });

  it('prints a field payload back as the parser reads it', () => {
    const text = '### t\nconnect tcp 127.0.0.1:9\nsend u8 0x10 varint len ( u16 {{n}} ( ) hex dead "x" ) i64le -5 dec len ( base64 QQ== )\n';
    const printed = printSock(parseSock(`@n = 1\n${text}`));
    assert.match(printed, /send u8 0x10 varint len \( u16 \{\{n\}\} \( \) hex dead "x" \) i64le -5 dec len \( base64 QQ== \)/);
  });

  it('sends the bytes to a real peer: a Python socket server receives exactly what struct.pack makes', async () => {
    // The peer reads everything until the client's half-close and prints it in hex, then the same packed by struct.
    const peer = start('python3', ['-c', [
      'import socket, struct',
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1); s.settimeout(10)",
      "print('listening', s.getsockname()[1], flush=True)",
      "c, _ = s.accept(); c.settimeout(10); got = b''",
      'while True:',
      '    b = c.recv(4096)',
      '    if not b: break',
      '    got += b',
      "print('got', got.hex(), flush=True)",
      "print('want', (struct.pack('>H', 6) + struct.pack('>I', 0xdeadbeef) + struct.pack('<h', -2) + b'!').hex(), flush=True)",
    ].join('\n')]);
    const port = Number((await peer.waitFor(/listening (\d+)\r?\n/))[1]);
    const r = await runSock(`### t\nconnect tcp 127.0.0.1:${port}\nsend u16 len ( u32 0xdeadbeef i16le -2 ) "!"\nshutdown\n`);
    assert.equal(r.summary.failed, 0);
    // The whole line: with PYTHONUNBUFFERED a print's pieces may arrive apart.
    const got = (await peer.waitFor(/got ([0-9a-f]*)\n/))[1];
    const want = (await peer.waitFor(/want ([0-9a-f]*)\n/))[1];
    assert.equal(got, want);
    assert.equal(got, '0006deadbeeffeff21');
    assert.equal((await peer.exited).code, 0);
  });

  it('captures integer fields and bytes at offsets from a real peer\'s binary reply, and sends them back', async () => {
    // The peer sends a header of fields, then checks what comes back, as struct.unpack reads it.
    const peer = start('python3', ['-c', [
      'import socket, struct',
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1); s.settimeout(10)",
      "print('listening', s.getsockname()[1], flush=True)",
      'c, _ = s.accept(); c.settimeout(10)',
      "c.sendall(struct.pack('>H', 0xbeef) + struct.pack('<i', -7) + bytes([0xac, 0x02]) + b'1234' + bytes([10, 0, 0, 7]))",
      "got = b''",
      'while True:',
      '    b = c.recv(4096)',
      '    if not b: break',
      '    got += b',
      "print('got', got.hex(), flush=True)",
    ].join('\n')]);
    const port = Number((await peer.waitFor(/listening (\d+)\r?\n/))[1]);
    const r = await runSock([
      '### t',
      `connect tcp 127.0.0.1:${port}`,
      'recv exactly 16 timeout 3s',
      'capture id u16',
      'capture n i32le at 2',
      'capture v varint at 6',
      'capture digits dec at 8',
      'capture addr hex 4 at -4',
      'capture raw bytes 2 at -4',
      'send u16 {{id}} i32 {{n}} u16 {{v}} u16 {{digits}} "{{raw}}"',
      'shutdown',
      '### the address as text',
      'ntoa {{addr}}',
      'expect "10.0.0.7"',
    ].join('\n'));
    assert.deepEqual(r.steps.filter((e) => e.status !== 'ok' && e.status !== 'pass').map((e) => `${e.source}: ${e.detail}`), []);
    const captured = r.steps.filter((e) => e.verb === 'capture').map((e) => e.detail);
    assert.deepEqual(captured, ['id = "48879"', 'n = "-7"', 'v = "300"', 'digits = "1234"', 'addr = "0a000007"', 'raw = "\\n\\0"']);
    // 0xbeef, -7 as a big-endian i32, 300 and 1234 as u16, then the two raw bytes 0a 00.
    assert.equal((await peer.waitFor(/got ([0-9a-f]*)\n/))[1], 'beef' + 'fffffff9' + '012c' + '04d2' + '0a00');
  });

  it('a field past the end of the reply fails its capture with ECAPTURE, showing the bytes', async () => {
    const r = await runSock('### t\nhostname\ncapture x u64 at 0\n');
    const step = r.steps.find((e) => e.verb === 'capture');
    assert.equal(step?.status, 'error');
    assert.equal(step?.code, 'ECAPTURE');
    assert.match(String(step?.detail), /no u64 at offset 0 of \d+ bytes "/);
  });

  it('checks bytes at an offset, from the end, exactly, and with ?? wildcards; a failure shows both sides in hex and the first difference', async () => {
    const reply = Buffer.from('2002000548656c6c6f0d0a', 'hex'); // 20 02 00 05 "Hello" CRLF
    const judge = async (line: string): Promise<{ pass: boolean; detail: string; diff?: unknown }> => {
      const file = parseSock(`### t\nhostname\n${line}\n`);
      assert.deepEqual(file.diagnostics.filter((d) => d.severity === 'error'), [], line);
      const step = file.blocks[0].steps[1];
      if (step.kind !== 'expect') throw new Error('no expect');
      const builder = new PayloadBuilder(new Scope(file, () => undefined, true), tmpdir());
      return checkExpectation(step.matcher, { last: reply }, 'crlf', (q, eol) => builder.pattern(q, eol));
    };
    assert.equal((await judge('expect hex 20 02 at 0')).pass, true);
    assert.equal((await judge('expect hex 20 ?? 00 05 at 0')).pass, true);
    assert.equal((await judge('expect hex 2002 ????')).pass, true, '?? in packed hex, matched anywhere');
    assert.equal((await judge('expect "\\r\\n" at -2')).pass, true);
    assert.equal((await judge('expect "Hello" at 4')).pass, true);
    assert.equal((await judge('expect u16 5 at 2')).pass, true, 'a field payload');
    assert.equal((await judge('expect exactly hex 20 02 00 05 48 65 6c 6c 6f 0d 0a')).pass, true);
    const off = await judge('expect hex 20 02 00 00 at 0');
    assert.deepEqual({ pass: off.pass, detail: off.detail, diff: off.diff }, { pass: false, detail: 'at offset 0: expected 20 02 00 00, found 20 02 00 05 … (first difference at byte 3)', diff: { offset: 0, expected: '20 02 00 00', actual: '20 02 00 05 …', first: 3 } });
    const short = await judge('expect exactly hex 20 02 00 05');
    assert.equal(short.pass, false);
    assert.match(short.detail, /^expected 4 bytes, found 11 bytes; the first 4 bytes match and 7 bytes more follow/);
    const past = await judge('expect "Hello!" at 4');
    assert.match(past.detail, /^at offset 4: expected 48 65 6c 6c 6f 21, found 48 65 6c 6c 6f 0d … \(first difference at byte 9\)$/);
  });

  it('refuses half wildcards and a bad offset where they are written', () => {
    const file = parseSock('### t\nhostname\nexpect hex 2? 00\nexpect "a" at x\nexpect "a" zz\nexpect "a" ay 2\n');
    assert.deepEqual(file.diagnostics.map((d) => `${d.range.start.line}:${d.message}`), [
      '2:"2?" is half a wildcard: ?? stands for a whole byte',
      '3:at takes an offset in bytes from -16777216 to 16777216 (negative: from the end), not "x"',
      '4:"zz" is not a part of a payload: "text", hex, base64, file, an integer field (u8 … u64, i8 … i64, u16le …, varint, dec), ( … ) or a checksum after one (crc16-modbus, crc32, crc32le, inet16), nor at OFFSET',
      '5:"ay" is not a part of a payload (did you mean "at"?)',
    ]);
  });

  it('sends ?? as a mistake: a wildcard only matches, it makes no byte', () => {
    assert.match(errorOf('send hex 20 ?? 00').message, /"\?" is not a hex digit/);
  });

  it('appends a checksum of the group before it: a Modbus RTU request with its CRC, a CRC-32 over a header; with no group before it, a parse error', async () => {
    assert.equal((await bytesOf('send ( u8 1 u8 3 u16 0 u16 10 ) crc16-modbus')).toString('hex'), '01030000000ac5cd');
    assert.equal((await bytesOf('send u32 len ( "123456789" ) crc32 u8 0')).toString('hex'), '00000009' + Buffer.from('123456789').toString('hex') + 'cbf43926' + '00');
    assert.match(errorOf('send u8 1 crc32').message, /crc32 is the checksum of the \( … \) group right before it, and none is there/);
    const text = '### t\nconnect tcp 127.0.0.1:9\nsend ( u8 1 u8 3 u16 0 u16 10 ) crc16-modbus\n';
    const h = hoverAt(text, parseSock(text), 2, 40);
    assert.ok(h?.info.kind === 'fields');
    assert.match(hoverMarkdown(h.info), /▶ 6\s+c5 cd\s+crc16-modbus/);
  });
});
