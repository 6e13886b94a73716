// Hostile replies against `expect /…/`: patterns that make a backtracking engine run forever are
// matched by RE2 in linear time, so a run ends by itself; bytes that are not UTF-8 are matched one
// character per byte. Each case runs the built CLI in a child process with a kill timer, so a
// regression fails the test instead of freezing mocha's own event loop.
import { strict as assert } from 'node:assert';
import { BytePattern, regexProblem } from '../../../src/net/regex';
import { parseSock } from '../../../src/sock/parser';
import { cli, PEERS, start, startPeer, tempSock } from '../helpers';
import { join } from 'node:path';

describe('hostile replies against expect /regex/', function () {
  it('a 61-byte reply against /^(a+)+$/ fails the expectation at once instead of pinning a core', async () => {
    const { port } = await startPeer('stream_server.py', ['send', Buffer.from('a'.repeat(60) + '!').toString('hex')]);
    const f = await tempSock(`### hostile\nconnect tcp 127.0.0.1:${port}\nrecv all\nexpect /^(a+)+$/\n`);
    const t0 = Date.now();
    const r = await cli(['run', f.file], { timeoutMs: 15_000 });
    await f.remove();
    assert.equal(r.code, 1, `the run should end with the expectation failed: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /✗ \[c\d+\] expect \/\^\(a\+\)\+\$\/\s+\/\^\(a\+\)\+\$\/ does not match 61 bytes "a{60}!"/);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });

  it('a listener whose block expects /^(\\w+\\s?)+$/ survives a 31-byte line from a Python client and serves the next', async () => {
    const f = await tempSock('### echo checker\nlisten tcp 127.0.0.1:0 as l\nrecv line\nexpect /^(\\w+\\s?)+$/\nsend "ok\\n"\n');
    const serving = start(process.execPath, [join(__dirname, '../../../dist/cli.js'), 'run', f.file, '--serve', '--for', '3s'], { timeoutMs: 20_000 });
    const m = await serving.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
    const port = m[1];
    const hostile = start('python3', [join(PEERS, 'client.py'), port, '127.0.0.1', 'a'.repeat(30) + '!\\n'], { timeoutMs: 15_000 });
    const friendly = start('python3', [join(PEERS, 'client.py'), port, '127.0.0.1', 'hello there\\n'], { timeoutMs: 15_000 });
    const [h, ok] = await Promise.all([hostile.exited, friendly.exited]);
    assert.equal(h.code, 0, h.stderr);
    assert.equal(h.stdout.trim(), "b''", 'the hostile line fails the expectation and the session closes without a reply');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), "b'ok\\n'", 'the next client is still answered');
    const done = await serving.exited;
    assert.match(done.stdout, /✗ \[l c\d+\] expect \/\^\(\\w\+\\s\?\)\+\$\/\s+\/\^\(\\w\+\\s\?\)\+\$\/ does not match 32 bytes/);
    await f.remove();
  });

  it('sees bytes that are not UTF-8 one character per byte: /^\\xbe\\xef/ matches a reply beginning be ef; UTF-8 text matches as text', async () => {
    const bin = await startPeer('stream_server.py', ['send', 'beef0100ff']);
    const text = await startPeer('stream_server.py', ['send', Buffer.from('café ☕\r\n').toString('hex')]);
    const f = await tempSock([
      `### binary\nconnect tcp 127.0.0.1:${bin.port}\nrecv all\nexpect /^\\xbe\\xef\\x01\\x00\\xff$/\n`,
      `### text\nconnect tcp 127.0.0.1:${text.port}\nrecv all\nexpect /^caf\\x{e9} ☕\\r\\n$/\nexpect /CAFÉ/i\n`,
    ].join(''));
    const r = await cli(['run', f.file], { timeoutMs: 15_000 });
    await f.remove();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^3 passed, 0 failed/m);
  });

  it('reports the byte offsets and groups of a match, in UTF-8 text and in raw bytes', () => {
    const text = BytePattern.of('(?P<word>\\w+)!$', '').exec(Buffer.from('é→ hello!'));
    assert.deepEqual(text && { start: text.start, end: text.end, word: text.groups[text.names.word]?.toString() }, { start: 6, end: 12, word: 'hello' });
    const bytes = BytePattern.of('\\xef(.)', '').exec(Buffer.from('beef41', 'hex'));
    assert.deepEqual(bytes && { start: bytes.start, end: bytes.end, group: bytes.groups[1]?.toString('hex') }, { start: 1, end: 3, group: '41' });
  });
});

describe('regex syntax the engine does not run is a parse error at its column', function () {
  const diagnostic = (line: string): { message: string; column: number; end: number } => {
    const d = parseSock(`### x\nconnect tcp 127.0.0.1:1\nrecv\n${line}\n`).diagnostics.find((x) => x.severity === 'error');
    assert.ok(d, `no error for ${line}`);
    return { message: d.message, column: d.range.start.column, end: d.range.end.column };
  };

  it('a backreference points at \\1', () => {
    const d = diagnostic('expect /(a)\\1/');
    assert.match(d.message, /backreferences such as `\\1` are not supported: the regex engine is RE2/);
    assert.deepEqual([d.column, d.end], [11, 13]);
  });

  it('lookahead and lookbehind point at their opening', () => {
    const ahead = diagnostic('expect /ab(?=c)/');
    assert.match(ahead.message, /lookaround such as `\(\?=` is not supported/);
    assert.equal(ahead.column, 10);
    const behind = diagnostic('expect /x(?<!y)z/');
    assert.match(behind.message, /lookaround such as `\(\?<!` is not supported/);
    assert.equal(behind.column, 9);
  });

  it('a flag other than i, m and s points at the flag', () => {
    const d = diagnostic('expect /abc/ig');
    assert.match(d.message, /flag "g" is not supported: a regex takes the flags i, m, s and b/);
    assert.deepEqual([d.column, d.end], [13, 14]);
  });

  it('accepts the RE2 forms a JavaScript user reaches for first', () => {
    for (const ok of ['^\\d+\\s\\w\\b$', '(?<name>x)', '(?i)abc', '\\x{2603}', '[^\\r\\n]{1,1000}']) assert.equal(regexProblem(ok, ''), undefined, ok);
    assert.match(regexProblem('\\u00e9', '')?.message ?? '', /RE2 writes a code point as `\\x\{00e9\}`/);
  });

  it('with the b flag matches one character per byte even when the value is valid UTF-8', () => {
    const e = Buffer.from('c3a9414243', 'hex'); // "éABC", valid UTF-8
    assert.equal(BytePattern.of('^\\xc3\\xa9', '').test(e), false, 'as text, é is one character, not two bytes');
    assert.equal(BytePattern.of('^\\xc3\\xa9', 'b').test(e), true);
    const m = BytePattern.of('^.{3}(.)', 'b').exec(e);
    assert.deepEqual([m?.start, m?.end, m?.groups[1]?.toString()], [0, 4, 'B'], 'offsets and groups are bytes');
    assert.deepEqual(parseSock('### t\nhostname\nexpect /^\\xc3/b\n').diagnostics, []);
  });
});
