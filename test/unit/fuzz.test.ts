import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { aton, ntop, parseHostPort, pton } from '../../src/net/address';
import { parseNameServer } from '../../src/net/dnsQuery';
import { SocketLabError } from '../../src/net/errors';
import { decodeBase64, decodeEscapes, decodeHex, escapeBytes } from '../../src/net/payload';
import { parseAddressPattern } from '../../src/net/policy';
import { python } from './helpers';

/** Runs `f`; it must return or throw a SocketLabError with one of `codes`, never anything else. */
function resultOrTyped(f: () => unknown, codes: string[]): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof SocketLabError, `threw an untyped ${String(e)}`);
    assert.ok(codes.includes(e.code), `unexpected code ${e.code}`);
    assert.ok(e.message.length > 0);
  }
}

const addressish = fc.stringMatching(/^[0-9a-fA-FxX.:[\] %/-]{0,24}$/);

describe('fuzzing (fast-check): parsers return a result or a typed error', () => {
  it('payload codec: escapes, hex and base64 on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        resultOrTyped(() => decodeEscapes(text), ['EBADPAYLOAD']);
        resultOrTyped(() => decodeHex(text), ['EBADPAYLOAD']);
        resultOrTyped(() => decodeBase64(text), ['EBADPAYLOAD']);
      }),
      { numRuns: 3000 },
    );
  });

  it('base64 decodes what Node encodes, for any bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => assert.deepEqual(decodeBase64(Buffer.from(b).toString('base64')), Buffer.from(b))));
  });

  it('escaped text survives a mutation-free round trip and mutated text never crashes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.nat(), fc.string({ maxLength: 3 }), (bytes, at, insert) => {
        const escaped = escapeBytes(bytes);
        assert.deepEqual(decodeEscapes(escaped), Buffer.from(bytes));
        const i = at % (escaped.length + 1);
        resultOrTyped(() => decodeEscapes(escaped.slice(0, i) + insert + escaped.slice(i)), ['EBADPAYLOAD']);
      }),
      { numRuns: 2000 },
    );
  });

  it('address parsers: HOST:PORT, patterns, name servers, pton/ntop', () => {
    fc.assert(
      fc.property(fc.oneof(addressish, fc.string({ maxLength: 30 })), (text) => {
        resultOrTyped(() => parseHostPort(text), ['EBADADDR']);
        resultOrTyped(() => parseAddressPattern(text), ['EBADADDR']);
        resultOrTyped(() => parseNameServer(text), ['EBADADDR']);
        resultOrTyped(() => ntop(pton(text)), ['EBADADDR']);
        resultOrTyped(() => aton(text), ['EBADADDR']);
      }),
      { numRuns: 3000 },
    );
  });

  it('aton agrees with Python socket.inet_aton (glibc) on 2,000 random address-like strings', async () => {
    const part = fc.oneof(fc.stringMatching(/^[0-9]{1,11}$/), fc.stringMatching(/^0[xX][0-9a-fA-F]{0,9}$/), fc.stringMatching(/^0[0-9]{1,12}$/), fc.constantFrom('', 'x', ' ', 'a'));
    const samples = fc.sample(fc.array(part, { minLength: 1, maxLength: 5 }).map((ps) => ps.join('.')), 2000);
    const answers = JSON.parse(await python(`
import json, socket
out = []
for f in json.loads(${JSON.stringify(JSON.stringify(samples))}):
    try:
        out.append(socket.inet_aton(f).hex())
    except (OSError, ValueError):
        out.append(None)
print(json.dumps(out))`)) as (string | null)[];
    let disagreements = 0;
    const examples: string[] = [];
    samples.forEach((s, i) => {
      let mine: string | null = null;
      try {
        mine = aton(s).toString('hex');
      } catch (e) {
        assert.ok(e instanceof SocketLabError && e.code === 'EBADADDR');
      }
      if (mine !== answers[i]) {
        disagreements++;
        if (examples.length < 5) examples.push(`${JSON.stringify(s)}: mine ${mine}, Python ${answers[i]}`);
      }
    });
    assert.equal(disagreements, 0, examples.join('; '));
  });
});
