import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Payload, SockFile } from '../../../../src/sock/ast';
import { parseSock } from '../../../../src/sock/parser';
import { PayloadBuilder } from '../../../../src/sock/run/payloads';
import { Scope } from '../../../../src/sock/scope';

/** The payload of the first `send` in `text`, and a builder over the file's variables. */
function sendOf(text: string, baseDir = tmpdir()): { payload: Payload; builder: PayloadBuilder; file: SockFile } {
  const file = parseSock(text);
  const errors = file.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], 'the test file parses');
  const step = file.blocks.flatMap((b) => b.steps).find((s) => s.kind === 'send');
  if (step?.kind !== 'send') throw new Error('no send step');
  const scope = new Scope(file, (name) => (name === 'srv' ? { host: '127.0.0.1', port: 7000, address: '127.0.0.1:7000' } : undefined), true);
  return { payload: step.payload, builder: new PayloadBuilder(scope, baseDir), file };
}

describe('payload bytes', () => {
  it('quoted text decodes its escapes and expands variables and listener fields as UTF-8', async () => {
    const { payload, builder } = sendOf('@name = zoë\n### server\nlisten tcp 127.0.0.1:0 as srv\n### t\nconnect tcp 127.0.0.1:9\nsend "hi\\x00{{name}} {{srv.port}}\\r\\n"\n');
    assert.deepEqual(await builder.bytes(payload, 'crlf'), Buffer.concat([Buffer.from('hi\0'), Buffer.from('zoë 7000\r\n', 'utf8')]));
  });

  it('a variable holding an escape sends the backslash as it is: escapes are decoded in the literal text only', async () => {
    const { payload, builder } = sendOf('@v = a\\x41\n### t\nconnect tcp 127.0.0.1:9\nsend "{{v}}"\n');
    assert.equal((await builder.bytes(payload, 'crlf')).toString(), 'a\\x41');
  });

  it('hex and base64 expand their variables before decoding', async () => {
    const hex = sendOf('@b = 45 54\n### t\nconnect tcp 127.0.0.1:9\nsend hex 47 {{b}} 20\n');
    assert.deepEqual(await hex.builder.bytes(hex.payload, 'crlf'), Buffer.from('GET '));
    const b64 = sendOf('@tail = IC8=\n### t\nconnect tcp 127.0.0.1:9\nsend base64 R0VU{{tail}}\n');
    assert.deepEqual(await b64.builder.bytes(b64.payload, 'crlf'), Buffer.from('GET /'));
  });

  it('bad hex is EBADPAYLOAD', async () => {
    const { payload, builder } = sendOf('@b = zz\n### t\nconnect tcp 127.0.0.1:9\nsend hex {{b}}\n');
    await assert.rejects(async () => builder.bytes(payload, 'crlf'), { code: 'EBADPAYLOAD' });
  });

  it('file PATH reads the file relative to the .sock file, byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-payloads-'));
    try {
      const bytes = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x80]);
      await writeFile(join(dir, 'data.bin'), bytes);
      const { payload, builder } = sendOf('@f = data\n### t\nconnect tcp 127.0.0.1:9\nsend file {{f}}.bin\n', dir);
      assert.deepEqual(await builder.bytes(payload, 'crlf'), bytes);
      const missing = sendOf('### t\nconnect tcp 127.0.0.1:9\nsend file nope.bin\n', dir);
      await assert.rejects(async () => missing.builder.bytes(missing.payload, 'crlf'), { code: 'ENOENT', message: 'file nope.bin: no such file or directory (ENOENT)' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a field payload is built at once unless a part reads a file, which it waits for: a length counts the file, a bad part fails the payload and no read is left unheard', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-payloads-'));
    const unheard: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unheard.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await writeFile(join(dir, 'data.bin'), Buffer.from('MQTT'));
      // No file: the bytes themselves, no promise (a repeat builds them every round).
      const now = sendOf('@n = 5\n### t\nconnect tcp 127.0.0.1:9\nsend u8 1 u16 len ( u16 {{n}} "ab" ) u8 2\n', dir);
      const made = now.builder.bytes(now.payload, 'crlf');
      assert.ok(Buffer.isBuffer(made), 'no promise for a payload without a file');
      assert.deepEqual(made, Buffer.from([1, 0, 4, 0, 5, 0x61, 0x62, 2]));
      // A file in a group: the length counts its bytes once they are read.
      const read = sendOf('@n = 5\n### t\nconnect tcp 127.0.0.1:9\nsend u8 1 u16 len ( file data.bin u8 {{n}} ) crc32 u8 2\n', dir);
      const later = read.builder.bytes(read.payload, 'crlf');
      assert.ok(later instanceof Promise, 'a promise for a payload that reads a file');
      const bytes = await later;
      assert.deepEqual(bytes.subarray(0, 8), Buffer.from([1, 0, 5, 0x4d, 0x51, 0x54, 0x54, 5]));
      assert.equal(bytes.length, 8 + 4 + 1, 'the checksum of the group and the last byte follow');
      // A bad integer after a file being read: the payload fails with the integer's error, and the read's own failure is heard.
      const bad = sendOf('@n = 300\n### t\nconnect tcp 127.0.0.1:9\nsend file nope.bin u8 {{n}}\n', dir);
      await assert.rejects(async () => bad.builder.bytes(bad.payload, 'crlf'), { code: 'EBADPAYLOAD', message: /u8 \{\{n\}\}: 300 does not fit u8/ });
      const missing = sendOf('### t\nconnect tcp 127.0.0.1:9\nsend u8 1 ( file nope.bin )\n', dir);
      await assert.rejects(async () => missing.builder.bytes(missing.payload, 'crlf'), { code: 'ENOENT' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(unheard, [], 'no read of a failed payload rejects unheard');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a heredoc ends every line, the last too, with the line ending asked for', async () => {
    const { payload, builder } = sendOf('@host = example.org\n### t\nconnect tcp 127.0.0.1:9\nsend <<END\nGET / HTTP/1.0\nHost: {{host}}\n\nEND\n');
    assert.equal((await builder.bytes(payload, 'crlf')).toString(), 'GET / HTTP/1.0\r\nHost: example.org\r\n\r\n');
    assert.equal((await builder.bytes(payload, 'lf')).toString(), 'GET / HTTP/1.0\nHost: example.org\n\n');
  });

  it('the parts of one payload share one expansion bound: each fits, together they fail', async () => {
    // 9 MiB each: one part is under the 16 MiB bound, two are over it.
    const big = `@v = ${'b'.repeat(9 * 1024 * 1024)}\n`;
    const one = sendOf(`${big}### t\nconnect tcp 127.0.0.1:9\nsend "{{v}}"\n`);
    assert.equal((await one.builder.bytes(one.payload, 'crlf')).length, 9 * 1024 * 1024);
    const two = sendOf(`${big}### t\nconnect tcp 127.0.0.1:9\nsend "{{v}}{{v}}"\n`);
    await assert.rejects(async () => two.builder.bytes(two.payload, 'crlf'), { code: 'EVARIABLE', message: /variable "v" expands past 16,777,216 characters/ });
  });

  it('the lines of one heredoc share one expansion bound too', async () => {
    const big = `@v = ${'b'.repeat(9 * 1024 * 1024)}\n`;
    const two = sendOf(`${big}### t\nconnect tcp 127.0.0.1:9\nsend <<END\n{{v}}\n{{v}}\nEND\n`);
    await assert.rejects(async () => two.builder.bytes(two.payload, 'lf'), { code: 'EVARIABLE', message: /expands past 16,777,216 characters/ });
  });
});
