import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { aton, DEFAULT_BIND_HOST, formatHostPort, ntoa, ntop, parseHostPort, parseListenerHostPort, pton } from '../../../src/net/address';
import { SocketLabError } from '../../../src/net/errors';
import { python } from '../helpers';

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

  it('binds the default host for a listener\'s port alone, bracketing an IPv6 default', () => {
    assert.equal(DEFAULT_BIND_HOST, '127.0.0.1', 'a .sock listener stays on this machine unless told otherwise');
    assert.deepEqual(parseListenerHostPort('8080', DEFAULT_BIND_HOST), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListenerHostPort(':8080', DEFAULT_BIND_HOST), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListenerHostPort('0', '::1'), { host: '::1', port: 0 });
    assert.deepEqual(parseListenerHostPort(':443', '0.0.0.0'), { host: '0.0.0.0', port: 443 });
    // An address with a host keeps its own host.
    assert.deepEqual(parseListenerHostPort('[::1]:9', DEFAULT_BIND_HOST), { host: '::1', port: 9 });
    assert.deepEqual(parseListenerHostPort('localhost:0', '::1'), { host: 'localhost', port: 0 });
  });

  it('rejects a port alone out of range, and a default host it cannot read, as parseHostPort does', () => {
    const bad = (f: () => unknown, message: RegExp): void => {
      assert.throws(f, (e: unknown) => e instanceof SocketLabError && e.code === 'EBADADDR' && message.test(e.message));
    };
    bad(() => parseListenerHostPort('65536', DEFAULT_BIND_HOST), /"65536" is not a port/);
    bad(() => parseListenerHostPort(':', DEFAULT_BIND_HOST), /host is empty/);
    bad(() => parseListenerHostPort('80', ''), /host is empty/);
    bad(() => parseListenerHostPort('80', 'not:v6'), /not an IPv6 address/);
    // The rule is for a port alone: text with anything else goes to parseHostPort unchanged.
    bad(() => parseListenerHostPort('80 ', DEFAULT_BIND_HOST), /HOST:PORT/);
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

describe('inet_pton / inet_ntop', () => {
  it('pack and unpack as Python socket.inet_pton / inet_ntop do on this machine', async () => {
    const v4 = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '1.2.3', '01.2.3.4', '1.2.3.256', '127.1', ''];
    const v6 = ['::1', '::', '1::', '::ffff:1.2.3.4', '::1.2.3.4', '2001:db8::1', 'FE80::1:2', '1:2:3:4:5:6:7:8', '1:0:0:2:0:0:0:3', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9', '1::2::3', ':1::', '1:::2', '12345::', 'g::', '::1.2.3', '::ffff:1.2.3.4.5', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4'];
    const forms = [...v4.map((f) => ['4', f]), ...v6.map((f) => ['6', f])];
    const answers = JSON.parse(await python(`
import json, socket
out = []
for fam, f in json.loads(${JSON.stringify(JSON.stringify(forms))}):
    af = socket.AF_INET if fam == '4' else socket.AF_INET6
    try:
        b = socket.inet_pton(af, f)
        out.append([b.hex(), socket.inet_ntop(af, b)])
    except OSError:
        out.append(None)
print(json.dumps(out))`)) as ([string, string] | null)[];
    forms.forEach(([fam, form], i) => {
      let mine: [string, string] | null;
      try {
        const packed = fam === '4' && form.includes(':') ? Buffer.alloc(0) : pton(form);
        mine = [packed.toString('hex'), ntop(packed)];
      } catch (e) {
        assert.ok(e instanceof SocketLabError && e.code === 'EBADADDR', `${form}: ${String(e)}`);
        mine = null;
      }
      assert.deepEqual(mine, answers[i], `pton/ntop(${JSON.stringify(form)}) vs Python`);
    });
  });

  it('ntop prints any 16 bytes as Python inet_ntop does (property, 300 random addresses)', async () => {
    const samples = fc.sample(
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).map((words) => {
        const b = Buffer.alloc(16);
        words.forEach((w, i) => b.writeUInt16BE(w, i * 2));
        return b.toString('hex');
      }),
      300,
    );
    const answers = JSON.parse(await python(`import json, socket; print(json.dumps([socket.inet_ntop(socket.AF_INET6, bytes.fromhex(h)) for h in ${JSON.stringify(samples)}]))`)) as string[];
    samples.forEach((hex, i) => {
      assert.equal(ntop(Buffer.from(hex, 'hex')), answers[i], hex);
      assert.equal(pton(answers[i]).toString('hex'), hex, `pton(${answers[i]})`);
    });
  });
});
