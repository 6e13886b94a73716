import { strict as assert } from 'node:assert';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SocketLabError } from '../../src/net/errors';
import { decodeEscapes, decodeHex, escapeBytes, hexDump, previewBytes, toHex } from '../../src/net/payload';
import { run } from './helpers';

describe('payload codec', () => {
  it('decodes every escape of the language to its byte', () => {
    assert.deepEqual(decodeEscapes('GET / HTTP/1.0\\r\\n\\r\\n'), Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    assert.deepEqual(decodeEscapes('\\t\\0\\\\\\"\\x7f\\xFF'), Buffer.from([0x09, 0x00, 0x5c, 0x22, 0x7f, 0xff]));
  });

  it('encodes non-ASCII text as UTF-8', () => {
    assert.deepEqual(decodeEscapes('é€'), Buffer.from('é€', 'utf8'));
  });

  it('rejects an unknown escape, a short \\x and a trailing backslash with a typed error', () => {
    for (const bad of ['\\q', '\\x4', '\\xZZ', 'abc\\']) {
      assert.throws(() => decodeEscapes(bad), (e: unknown) => e instanceof SocketLabError && e.code === 'EBADPAYLOAD', bad);
    }
  });

  it('decodes hex with or without spaces and rejects odd or non-hex digits', () => {
    assert.deepEqual(decodeHex('47 45 54'), Buffer.from('GET'));
    assert.deepEqual(decodeHex('474554'), Buffer.from('GET'));
    assert.throws(() => decodeHex('474'), /even number/);
    assert.throws(() => decodeHex('47 4G'), /not a hex digit/);
  });

  it('renders bytes with escapes so that decoding gives the same bytes back (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.deepEqual(decodeEscapes(escapeBytes(bytes)), Buffer.from(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('renders control bytes visibly and cuts long previews with an ellipsis', () => {
    assert.equal(escapeBytes(Buffer.from('a\r\n\x00\x1b"\\')), 'a\\r\\n\\0\\x1b\\"\\\\');
    assert.equal(escapeBytes(Buffer.from('abcdef'), 3), 'abc…');
    assert.equal(toHex(Buffer.from('GET')), '47 45 54');
  });

  it('prints a hex dump byte-for-byte as xxd(1) does', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'socket-lab-xxd-'));
    try {
      const samples = [Buffer.alloc(0), Buffer.from('GET / HTTP/1.0\r\n\r\n'), Buffer.from('abc'), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256))];
      for (const [i, sample] of samples.entries()) {
        const f = join(dir, `s${i}`);
        writeFileSync(f, sample);
        const r = await run('xxd', [f]);
        assert.equal(r.code, 0, `xxd failed: ${r.stderr}`);
        assert.equal(hexDump(sample), r.stdout, `sample ${i}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('payload previews in a text encoding', () => {
  it('escaped is byte-exact; utf8 and latin1 decode first and escape only control and bidi characters', () => {
    const bytes = Buffer.from('é\r\n"\0\u202e!', 'utf8');
    assert.equal(previewBytes(bytes, 'escaped', 80), '\\xc3\\xa9\\r\\n\\"\\0\\xe2\\x80\\xae!');
    assert.equal(previewBytes(bytes, 'utf8', 80), 'é\\r\\n\\"\\0\\u{202e}!');
    assert.equal(previewBytes(Buffer.from([0xe9, 0x41]), 'latin1', 80), 'éA');
    assert.equal(previewBytes(Buffer.from([0xff, 0x41]), 'utf8', 80), '\ufffdA');
    assert.equal(previewBytes(Buffer.from('abcdef'), 'utf8', 3), 'abc…');
  });
});
