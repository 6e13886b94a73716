import { strict as assert } from 'node:assert';
import { parsePayloadInput } from '../../../src/net/payloadInput';

describe('payloads typed in the palette and the traffic view', () => {
  it('reads text with the escapes of .sock payloads, without quotes, as UTF-8', () => {
    assert.deepEqual(parsePayloadInput('GET / HTTP/1.0\\r\\n\\r\\n'), Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    assert.deepEqual(parsePayloadInput('say "hi"\\x00\\t\\\\'), Buffer.from('say "hi"\0\t\\'));
    assert.deepEqual(parsePayloadInput('é'), Buffer.from([0xc3, 0xa9]));
    assert.deepEqual(parsePayloadInput(''), Buffer.alloc(0));
  });

  it('reads hex and base64 after their keyword, in any case', () => {
    assert.deepEqual(parsePayloadInput('hex 47 45 54'), Buffer.from('GET'));
    assert.deepEqual(parsePayloadInput('HEX 474554'), Buffer.from('GET'));
    assert.deepEqual(parsePayloadInput('base64 R0VU'), Buffer.from('GET'));
    assert.deepEqual(parsePayloadInput('Base64\tR0VUIC8='), Buffer.from('GET /'));
  });

  it('sends a keyword without whitespace after it as text', () => {
    assert.deepEqual(parsePayloadInput('hex'), Buffer.from('hex'));
    assert.deepEqual(parsePayloadInput('hexdump'), Buffer.from('hexdump'));
  });

  it('answers bad input with the message shown under the input box', () => {
    assert.equal(parsePayloadInput('hex 4g'), '"g" is not a hex digit');
    assert.equal(parsePayloadInput('hex 474'), 'hex needs an even number of digits, got 3');
    assert.equal(parsePayloadInput('base64 R0V!'), '"!" is not a base64 character');
    assert.match(parsePayloadInput('bad \\q') as string, /unknown escape "\\q"/);
    assert.match(parsePayloadInput('cut \\') as string, /cut off/);
  });
});
