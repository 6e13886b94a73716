// capture: part of a reply kept as {{NAME}} for every later step of the run, its bytes exact.
import { strict as assert } from 'node:assert';
import { hoverAt } from '../../../src/sock/hoverInfo';
import { parseSock } from '../../../src/sock/parser';
import { cli, startPeer, tempSock } from '../helpers';

async function runFile(text: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  const f = await tempSock(text);
  const r = await cli(['run', f.file, ...args]);
  await f.remove();
  return { code: r.code, out: r.stdout + r.stderr };
}

describe('capture', function () {
  it('takes a session id from a Python peer\'s greeting and sends it to a listener in a later block', async () => {
    const { port } = await startPeer('stream_server.py', ['send', Buffer.from('HELLO session=4f2a\r\nwelcome\r\n').toString('hex')]);
    const r = await runFile(
      [
        `### greeting\nconnect tcp 127.0.0.1:${port}\nrecv all\ncapture session /session=(\\w+)/\ncapture second line 2\n`,
        '### sink\nlisten tcp 127.0.0.1:0 as sink\nrecv line\nexpect "ACK 4f2a welcome\\n"\n',
        '### ack\nconnect tcp {{sink}}\nsend "ACK {{session}} {{second}}\\n"\n',
      ].join('\n'),
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /• (\[c\d+\] )?capture session \/session=\(\\w\+\)\/\s+session = "4f2a"/);
    assert.match(r.out, /• (\[c\d+\] )?capture second line 2\s+second = "welcome"/);
    assert.match(r.out, /✓ \[sink c\d+\] expect "ACK 4f2a welcome\\n"/);
  });

  it('keeps bytes that are not UTF-8 exactly, and named groups under their names', async () => {
    const { port } = await startPeer('stream_server.py', ['send', 'beef00ff2435' + Buffer.from('\r\nhello\r\n').toString('hex')]);
    const r = await runFile(
      [
        '### sink\nlisten tcp 127.0.0.1:0 as sink\nrecv exactly 5\nexpect hex beef00ff35\n',
        `### binary\nconnect tcp 127.0.0.1:${port}\nrecv all\ncapture id /^(\\xbe\\xef\\x00\\xff)/\ncapture /\\$(?P<len>\\d+)\\r\\n/\n`,
        '### back\nconnect tcp {{sink}}\nsend "{{id}}{{len}}"\n',
      ].join('\n'),
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /id = "\\xbe\\xef\\0\\xff"/);
    assert.match(r.out, /len = "5"/);
  });

  it('a capture that finds nothing fails its step with ECAPTURE, shows the bytes, and expect error can check it', async () => {
    const { port } = await startPeer('stream_server.py', ['send', Buffer.from('HTTP/1.0 401').toString('hex')]);
    const r = await runFile(`### auth\nconnect tcp 127.0.0.1:${port}\nrecv all\ncapture token /token=(\\w+)/\nexpect error ECAPTURE /does not match/\n`, '--json');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /"source":"capture token \/token=\(\\\\w\+\)\/","verb":"capture",("connection":"c\d+",)?"status":"error","detail":"\/token=\(\\\\w\+\)\/ does not match 12 bytes \\"HTTP\/1.0 401\\""/);
  });

  it('a {{NAME}} used before its capture ran is EVARIABLE, named', async () => {
    const r = await runFile('### early\naton {{token}}\n\n### later\nhostname\ncapture token\n');
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /! aton \{\{token\}\}\s+"token" has no value yet: no capture has set it/);
  });

  it('parses: capture names count as variables; a nameless regex needs named groups; words after NAME are checked', () => {
    const errors = (t: string): string[] => parseSock(t).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    assert.deepEqual(errors('### a\nhostname\ncapture who\naton {{who}}\n'), []);
    assert.deepEqual(errors('### a\nhostname\ncapture /(x)/\n'), ['capture /regex/ without a name takes its named groups, (?P<name>…), and this regex has none: name the variable (capture NAME /regex/) or the groups']);
    assert.deepEqual(errors('### a\nhostname\ncapture who lines\n'), ['unexpected "lines" (did you mean "line"?)']);
    assert.deepEqual(errors('### a\nhostname\ncapture who line 0\n'), ['line takes a line number from 1 to 1000000']);
    assert.deepEqual(errors('### a\naton {{who}}\n'), ['unknown variable "who": declare it with @who = value, or name a listener with "as who"']);
  });

  it('hover says a captured name is set by a capture step, not by a listener', () => {
    const text = '### a\nhostname\ncapture who\naton {{who}}\n';
    const h = hoverAt(text, parseSock(text), 3, 8);
    assert.ok(h && h.info.kind === 'variable');
    assert.match((h.info as { note?: string }).note ?? '', /^set at run time by a capture step/);
  });
});

describe('set', function () {
  it('fixes a random key once for the run, and computes integer arithmetic', async () => {
    const text = [
      '### sink\nlisten tcp 127.0.0.1:0 as sink\nrecv line\ncapture got line\nrecv line\nexpect "{{got}} 42 10-20\\n"\n',
      '### client\nconnect tcp {{sink}}\nset key = user-{{$randomInt 1 1000000000}}\nset n = 7\nset n = {{n}} * 6 + 0\nset range = 10-20\nsend "{{key}}\\n"\nsend "{{key}} {{n}} {{range}}\\n"\n',
    ].join('\n');
    const r = await runFile(text);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /set n = \{\{n\}\} \* 6 \+ 0\s+n = "42"/);
    assert.match(r.out, /set range = 10-20\s+range = "10-20"/);
    const key = /key = "(user-\d+)"/.exec(r.out)?.[1];
    assert.ok(key, r.out);
    assert.match(r.out, new RegExp(`"${key} 42 10-20\\\\n"`), 'the second use of {{key}} is the same key');
  });

  it('arithmetic outside the signed 64-bit range fails with EVARIABLE; a missing = is a parse error', async () => {
    const r = await runFile('### big\nset n = 9223372036854775807 + 1\n');
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /set n: 9223372036854775807 \+ 1 leaves the signed 64-bit range/);
    assert.deepEqual(parseSock('### a\nset n=1\n').diagnostics.map((x) => x.message), ['set NAME = VALUE: write spaces around the "="']);
    assert.deepEqual(parseSock('### a\nset n : 1\n').diagnostics.map((x) => x.message), ['set n = VALUE: expected "=" (with spaces around it), not ":"']);
  });
});
