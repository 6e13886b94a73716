// "Did you mean" at every place the parser expects one of the verb table's keywords, with the
// word that fixes it (the quick fix's edit), and the error for a variable where a literal goes.
import { strict as assert } from 'node:assert';
import { parseSock } from '../../../src/sock/parser';

/** The file's one diagnostic: where it is, its message and its replacement. */
function only(text: string): { at: string; message: string; replacement?: string } {
  const d = parseSock(text).diagnostics;
  assert.equal(d.length, 1, d.map((x) => x.message).join('\n'));
  const { start, end } = d[0].range;
  return { at: `${start.line + 1}:${start.column + 1}-${end.column + 1}`, message: d[0].message, ...(d[0].replacement !== undefined ? { replacement: d[0].replacement } : {}) };
}

const CLIENT = '### c\nconnect tcp 127.0.0.1:7\n';

describe('did you mean, at every keyword', () => {
  const cases: [string, string, string, string][] = [
    // [what, the file, the misspelt word's place, its replacement]
    ['a verb', `${CLIENT}sned "x"\n`, '3:1-5', 'send'],
    ['recv mode', `${CLIENT}recv lien\n`, '3:6-10', 'line'],
    ['recv mode', `${CLIENT}recv exacly 4\n`, '3:6-12', 'exactly'],
    ['recv timeout', `${CLIENT}recv line tiemout 2s\n`, '3:11-18', 'timeout'],
    ['recv until payload', `${CLIENT}recv until hexx 0d0a\n`, '3:12-16', 'hex'],
    ['recv until timeout', `${CLIENT}recv until hex 0d0a tiemout 2s\n`, '3:21-28', 'timeout'],
    ['recv until timeout', `${CLIENT}recv until base64 DQo= timout 2s\n`, '3:24-30', 'timeout'],
    ['send payload', `${CLIENT}send hxe 41\n`, '3:6-9', 'hex'],
    ['send payload', `${CLIENT}send fiel data.bin\n`, '3:6-10', 'file'],
    ['send payload', `${CLIENT}send bas64 QQ==\n`, '3:6-11', 'base64'],
    ['expect', `${CLIENT}recv\nexpect eror\n`, '4:8-12', 'error'],
    ['connect transport', '### c\nconnect tpc 127.0.0.1:7\n', '2:9-12', 'tcp'],
    ['listen transport', '### l\nlisten upd 0\n', '2:8-11', 'udp'],
    ['connect option', '### c\nconnect tcp 127.0.0.1:7 tiemout 2s\n', '2:25-32', 'timeout'],
    ['connect option', '### c\nconnect tcp 127.0.0.1:7 as k kep\n', '2:30-33', 'keep'],
    ['listen option', '### l\nlisten tcp 0 sa srv\n', '2:14-16', 'as'],
    ['echo timeout', '### l\nlisten tcp 0\necho timout 2s\n', '3:6-12', 'timeout'],
    ['repeat every', '### r\nrepeat 2 evry 1s\nend\n', '2:10-14', 'every'],
    ['eol', '### e\neol crl\n', '2:5-8', 'crlf'],
    ['service protocol', '### s\nservice http tpc\n', '2:14-17', 'tcp'],
    ['record type', '### d\nresolve lab.test AAA\n', '2:18-21', 'AAAA'],
    ['record type', '### d\nresolve lab.test cnme\n', '2:18-22', 'CNAME'],
    ['capture line', `${CLIENT}recv\ncapture first lien 2\n`, '4:15-19', 'line'],
  ];
  for (const [what, text, at, replacement] of cases) {
    it(`${what}: ${text.split("\n")[Number(at.split(":")[0]) - 1]} suggests ${replacement}, replacing exactly the misspelt word`, () => {
      const d = only(text);
      assert.equal(d.at, at);
      assert.equal(d.replacement, replacement);
      assert.ok(d.message.endsWith(` (did you mean "${replacement}"?)`), d.message);
    });
  }

  it('says what was expected as before, and then the hint', () => {
    assert.equal(only(`${CLIENT}recv lien\n`).message, 'recv takes N, exactly N, line, until PAYLOAD, all, or nothing; not "lien" (did you mean "line"?)');
    assert.equal(only(`${CLIENT}recv line tiemout 2s\n`).message, 'unexpected "tiemout" (did you mean "timeout"?)');
    assert.equal(only('### e\neol crl\n').message, 'eol is crlf or lf, not "crl" (did you mean "crlf"?)');
    assert.equal(only('### d\nresolve lab.test AAA\n').message, '"AAA" is not a record type (did you mean "AAAA"?)');
  });

  it('suggests the closest keyword, not the first near one', () => {
    // AAA is two edits from A and one from AAAA; tcx is one from tcp and two from udp.
    assert.equal(only('### d\nresolve lab.test AAA\n').replacement, 'AAAA');
    assert.equal(only('### s\nservice http udx\n').replacement, 'udp');
  });

  it('gives no hint for a word that is not a near miss, and keeps the message as it was', () => {
    for (const [text, message] of [
      ['### e\neol x\n', 'eol is crlf or lf, not "x"'],
      [`${CLIENT}send hello\n`, 'a payload is quoted ("hello"), hex 47 45 54, base64 R0VU, file PATH or a heredoc (<<END)'],
      ['### s\nservice http quic\n', 'the protocol is tcp or udp, not "quic"'],
      [`${CLIENT}recv line later\n`, 'unexpected "later" (expected "timeout DURATION")'],
      ['### t\nrecieve\n', 'unknown statement "recieve"'],
      [`@x = hi\n${CLIENT}send {{x}}\n`, 'a payload is quoted ("{{x}}"), hex 47 45 54, base64 R0VU, file PATH or a heredoc (<<END)'],
    ]) {
      const d = only(text);
      assert.equal(d.message, message);
      assert.equal(d.replacement, undefined);
    }
  });

  it('answers a file that repeats its mistakes with the same hint on every line', () => {
    const d = parseSock(`${CLIENT}${'recv lien\n'.repeat(50)}`).diagnostics;
    assert.equal(d.length, 50);
    assert.ok(d.every((x) => x.replacement === 'line'));
  });
});

describe('variables in counts and durations', () => {
  const VARS = '@n = 4\n@d = 2s\n';

  it('a step\'s counts and durations may be variables: recv N, recv exactly, repeat, every, wait, timeouts', () => {
    for (const line of ['recv exactly {{n}}', 'recv {{n}}', 'repeat {{n}}\nrecv\nend', 'repeat 2 every {{d}}\nrecv\nend', 'wait {{d}}', 'recv line timeout {{d}}', 'echo timeout {{d}}', 'wait {{n}}ms']) {
      const header = line.startsWith('echo') ? 'listen tcp 0' : 'connect tcp 127.0.0.1:7';
      assert.deepEqual(parseSock(`${VARS}### c\n${header}\n${line}\n`).diagnostics, [], line);
    }
    assert.deepEqual(parseSock(`${VARS}### c\nconnect tcp 127.0.0.1:7 timeout {{d}}\n`).diagnostics, []);
  });

  it('a listener\'s settings are literal: idle-timeout and max-conns say so, pointing at the {{…}}', () => {
    assert.deepEqual(only(`${VARS}### l\nlisten tcp 0\nidle-timeout {{d}}\n`), { at: '5:14-19', message: '{{d}} is a variable, and this place takes a duration written out, e.g. 2s (a listener\'s settings are read once, when it starts; a step\'s counts and durations may be variables)' });
    assert.match(only(`${VARS}### l\nlisten tcp 0\nmax-conns {{n}}\n`).message, /^\{\{n\}\} is a variable, and this place takes a number of connections/);
  });

  it('a variable where a keyword goes says which keywords, pointing at the {{…}}', () => {
    assert.deepEqual(only('@t = MX\n### d\nresolve lab.test {{t}}\n'), { at: '3:18-23', message: '{{t}} is a variable, and this place takes a keyword written out: A, AAAA, MX, TXT, SRV, NS, CNAME, PTR' });
    assert.deepEqual(only('@e = lf\n### e\neol {{e}}\n'), { at: '3:5-10', message: '{{e}} is a variable, and this place takes a keyword written out: crlf, lf' });
    assert.deepEqual(only('@p = tcp\n### c\nconnect {{p}} 127.0.0.1:7\n'), { at: '3:9-14', message: '{{p}} is a variable, and this place takes a keyword written out: tcp, udp, unix, tls' });
  });

  it('a port may be a variable: no error', () => {
    assert.deepEqual(parseSock('@port = 8080\n### l\nlisten tcp {{port}}\n### c\nconnect tcp 127.0.0.1:{{port}}\n').diagnostics, []);
  });
});
