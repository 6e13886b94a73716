import { strict as assert } from 'node:assert';
import { aton, formatHostPort, ntoa, parseHostPort } from '../../src/net/address';
import { SocketLabError } from '../../src/net/errors';
import { python } from './helpers';

describe('addresses', () => {
  it('parses HOST:PORT, names and bracketed IPv6', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseHostPort('localhost:80'), { host: 'localhost', port: 80 });
    assert.deepEqual(parseHostPort('[::1]:0'), { host: '::1', port: 0 });
    assert.equal(formatHostPort('::1', 443), '[::1]:443');
    assert.equal(formatHostPort('127.0.0.1', 443), '127.0.0.1:443');
  });

  it('rejects malformed endpoints with a message that says what to write', () => {
    const cases: [string, RegExp][] = [
      ['127.0.0.1', /HOST:PORT/],
      ['::1:80', /needs brackets/],
      ['[::1:80', /missing "\]"/],
      ['[1.2.3.4]:80', /not an IPv6/],
      ['host:65536', /0 to 65535/],
      ['host:http', /0 to 65535/],
      [':80', /host is empty/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseHostPort(text), (e: unknown) => e instanceof SocketLabError && e.code === 'EBADADDR' && message.test(e.message), text);
    }
  });

  it('packs addresses exactly as Python socket.inet_aton does on this machine', async () => {
    const forms = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '127.1', '127.0.1', '0x7f.1', '017700000001', '0x7f000001', '4294967295', '1.2.3.4 trailing', '00.01.02.03',
      '256.1.1.1', '1.2.3.4.5', '', '1.', '.1', '08.1.1.1', '0x', '1.2.3.256', '1.16777216', '4294967296', '1..2', 'abc', ' 1.2.3.4', '1.2.3.4x'];
    const answers = JSON.parse(await python(`
import json, socket
forms = json.loads(${JSON.stringify(JSON.stringify(forms))})
out = []
for f in forms:
    try:
        out.append(socket.inet_aton(f).hex())
    except OSError:
        out.append(None)
print(json.dumps(out))`)) as (string | null)[];
    forms.forEach((form, i) => {
      let mine: string | null;
      try {
        mine = aton(form).toString('hex');
      } catch (e) {
        assert.ok(e instanceof SocketLabError && e.code === 'EBADADDR', `aton(${JSON.stringify(form)}) threw ${String(e)}`);
        mine = null;
      }
      assert.equal(mine, answers[i], `aton(${JSON.stringify(form)}) vs Python`);
    });
  });

  it('unpacks 4 bytes as inet_ntoa and rejects other lengths', () => {
    assert.equal(ntoa(Buffer.from([127, 0, 0, 1])), '127.0.0.1');
    assert.throws(() => ntoa(Buffer.from([1, 2, 3])), /wrong length/);
  });
});
