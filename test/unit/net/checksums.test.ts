import { strict as assert } from 'node:assert';
import * as fc from 'fast-check';
import { checksumBytes, crc16Modbus, internetChecksum } from '../../../src/net/checksums';
import { python } from '../helpers';

describe('checksums a field payload can carry', () => {
  it('gives the CRC catalogue\'s check values over "123456789" and the Modbus spec\'s example frame', () => {
    const check = Buffer.from('123456789');
    assert.equal(crc16Modbus(check), 0x4b37, 'CRC-16/MODBUS check value');
    assert.equal(checksumBytes('crc32', check).toString('hex'), 'cbf43926', 'CRC-32/ISO-HDLC check value');
    assert.equal(checksumBytes('crc32le', check).toString('hex'), '2639f4cb');
    // Read Holding Registers from slave 1, 10 registers at 0: the CRC goes out low byte first.
    assert.equal(checksumBytes('crc16-modbus', Buffer.from('01030000000a', 'hex')).toString('hex'), 'c5cd');
    // RFC 1071 §3's worked example: the sum of 0001 f203 f4f5 f6f7 is ddf2, its complement 220d.
    assert.equal(internetChecksum(Buffer.from('0001f203f4f5f6f7', 'hex')), 0x220d);
  });

  it('agrees with Python (binascii.crc32 and the RFC 1071 sum written out) on random bytes (property)', async () => {
    const samples = fc.sample(fc.uint8Array({ maxLength: 64 }), { numRuns: 100, seed: 16 });
    const hexes = samples.map((b) => Buffer.from(b).toString('hex'));
    const out = await python(
      [
        'import binascii',
        'def inet(b):',
        "    if len(b) % 2: b += b'\\0'",
        '    s = sum((b[i] << 8) | b[i + 1] for i in range(0, len(b), 2))',
        '    while s >> 16: s = (s & 0xffff) + (s >> 16)',
        '    return ~s & 0xffff',
        'def modbus(b):',
        '    c = 0xffff',
        '    for x in b:',
        '        c ^= x',
        '        for _ in range(8): c = (c >> 1) ^ 0xa001 if c & 1 else c >> 1',
        '    return c',
        `for h in ${JSON.stringify(hexes)}:`,
        '    b = bytes.fromhex(h)',
        "    print('%08x %04x %04x' % (binascii.crc32(b), inet(b), modbus(b)))",
      ].join('\n'),
    );
    out.split('\n').forEach((line, i) => {
      const b = Buffer.from(hexes[i], 'hex');
      assert.equal(`${checksumBytes('crc32', b).toString('hex')} ${checksumBytes('inet16', b).toString('hex')} ${crc16Modbus(b).toString(16).padStart(4, '0')}`, line, hexes[i]);
    });
  });
});
