import { strict as assert } from 'node:assert';
import { convertAddress } from '../../../src/net/addressConversion';
import { SocketLabError } from '../../../src/net/errors';

describe('Convert Address', () => {
  it('packs dotted IPv4 as inet_aton, with the bytes escaped and the address read back', () => {
    assert.equal(convertAddress('127.0.0.1'), 'inet_aton → 7f 00 00 01 "\\x7f\\0\\0\\x01" (127.0.0.1)');
    assert.equal(convertAddress('127.1'), 'inet_aton → 7f 00 00 01 "\\x7f\\0\\0\\x01" (127.0.0.1)');
    assert.equal(convertAddress('0x7f.1'), 'inet_aton → 7f 00 00 01 "\\x7f\\0\\0\\x01" (127.0.0.1)');
  });

  it('packs IPv6 as inet_pton', () => {
    assert.equal(convertAddress('::1'), 'inet_pton → 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01');
    assert.equal(convertAddress('::ffff:1.2.3.4'), 'inet_pton → 00 00 00 00 00 00 00 00 00 00 ff ff 01 02 03 04');
  });

  it('unpacks 4 or 16 hex bytes as inet_ntop', () => {
    assert.equal(convertAddress('7f000001'), 'inet_ntop → 127.0.0.1');
    assert.equal(convertAddress('7f 00 00 01'), 'inet_ntop → 127.0.0.1');
    assert.equal(convertAddress('00000000000000000000ffff01020304'), 'inet_ntop → ::ffff:1.2.3.4');
  });

  it('throws what the call rejects, with its code', () => {
    const code = (text: string, c: string): void => {
      assert.throws(() => convertAddress(text), (e: unknown) => e instanceof SocketLabError && e.code === c, text);
    };
    code('256.1.1.1', 'EBADADDR');
    code('7f0000', 'EBADADDR');
    code('zz', 'EBADPAYLOAD');
  });
});
