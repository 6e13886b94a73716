// Listeners on every interface: the "accepts connections from other machines" warning is given
// for the wildcard address in any spelling, and at run time for a host that comes from variables.
import { strict as assert } from 'node:assert';
import { isWildcardAddress } from '../../../src/net/address';
import { parseSock } from '../../../src/sock/parser';
import { runSock } from '../helpers';

const WARNING = /accepts connections from other machines/;

function warnings(text: string): string[] {
  return parseSock(text).diagnostics.map((d) => `${d.severity}: ${d.message}`);
}

describe('hostile files: wildcard binds in any spelling', () => {
  for (const target of ['0.0.0.0:0', '[::]:0', '[::0]:0', '[0:0:0:0:0:0:0:0]:0', '[::ffff:0.0.0.0]:0', '[::ffff:0:0]:0', '0:0', '0.0:0', '0x0:0']) {
    for (const transport of ['tcp', 'udp', 'tls']) {
      it(`listen ${transport} ${target} warns that it accepts connections from other machines, once`, () => {
        const w = warnings(`### a\nlisten ${transport} ${target}\n${transport === 'tls' ? 'self-signed\n' : ''}close\n`);
        assert.equal(w.length, 1, JSON.stringify(w));
        assert.match(w[0], /^warning: /);
        assert.match(w[0], WARNING);
      });
    }
  }

  for (const target of ['127.0.0.1:0', '[::1]:0', '[::ffff:127.0.0.1]:0', '0', ':0', '10.0.0.0:0']) {
    it(`listen tcp ${target} gives no wildcard warning`, () => {
      assert.deepEqual(warnings(`### a\nlisten tcp ${target}\nclose\n`).filter((w) => WARNING.test(w)), []);
    });
  }

  it('isWildcardAddress compares the bytes of the address, not its text', () => {
    for (const a of ['0.0.0.0', '0', '00', '0x0', '0.0.0', '::', '::0', '0:0:0:0:0:0:0:0', '::ffff:0.0.0.0', '::ffff:0:0', '0::0']) assert.ok(isWildcardAddress(a), a);
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '::ffff:0:1', '1.0.0.0', 'localhost', '0.example', 'fe80::1%lo', '::ffff:ffff:0:0', '']) assert.ok(!isWildcardAddress(a), a);
  });

  it('a listener whose host comes from a variable warns at run time when the bound address is a wildcard', async () => {
    // Bound for a moment on every interface; allow keeps any other peer out meanwhile.
    const r = await runSock('@h = 0.0.0.0\n\n### v\nlisten tcp {{h}}:0\nallow 127.0.0.1\nclose\n');
    const listen = r.steps.find((s) => s.verb === 'listen');
    assert.match(listen?.detail ?? '', /^listening on 0\.0\.0\.0:\d+ \(l\d+\); warning: listening on 0\.0\.0\.0 accepts connections from other machines; 127\.0\.0\.1 keeps the listener on this one$/);
    assert.deepEqual(parseSock('@h = 0.0.0.0\n\n### v\nlisten tcp {{h}}:0\nclose\n').diagnostics.filter((d) => WARNING.test(d.message)), [], 'the parser cannot see it');
  });

  it('a UDP listener from a variable host warns at run time too; one from a loopback variable does not', async () => {
    const wild = await runSock('@h = [::ffff:0.0.0.0]:0\n\n### v\nlisten udp {{h}}\nallow 127.0.0.1\necho\n');
    assert.match(wild.steps.find((s) => s.verb === 'listen')?.detail ?? '', /; warning: listening on ::ffff:0\.0\.0\.0 accepts connections from other machines/);
    const loop = await runSock('@h = 127.0.0.1\n\n### v\nlisten udp {{h}}:0\necho\n');
    assert.doesNotMatch(loop.steps.find((s) => s.verb === 'listen')?.detail ?? '', WARNING);
  });
});
