// Hovers that explain an error code: over `expect error CODE`, and over a step that erred in a run.
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import { hoverAt } from '../../../src/sock/hoverInfo';
import { hoverMarkdown } from '../../../src/sock/hoverMarkdown';
import { parseSock } from '../../../src/sock/parser';
import { resultHoverMarkdown } from '../../../src/sock/resultHover';
import { runSock } from '../helpers';

/** The hover's Markdown at the first column of `word` on line `line` of `text`. */
function hoverOver(text: string, line: number, word: string): { md: string; start: number; end: number } | undefined {
  const column = text.split('\n')[line].indexOf(word);
  const at = hoverAt(text, parseSock(text), line, column + 1);
  return at && { md: hoverMarkdown(at.info), start: at.start, end: at.end };
}

/** Markdown as a person reads it: backslash escapes gone. */
function shown(md: string): string {
  return md.replace(/\\(.)/g, '$1');
}

/** A TCP port on loopback where nothing listens: one that was bound a moment ago and closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('hovers over error codes', () => {
  it('explains the CODE of expect error: the wire, the Python exception, Node and the cause', () => {
    const text = '### refused\nconnect tcp 127.0.0.1:1\nexpect error ECONNREFUSED "refused"\n';
    const h = hoverOver(text, 2, 'ECONNREFUSED');
    assert.ok(h);
    assert.deepEqual([h.start, h.end], [13, 25], 'the code, not the pattern after it');
    assert.match(h.md, /^\*\*ECONNREFUSED\*\* — OS: connection refused: nothing is listening there/);
    assert.match(h.md, /On the wire: the peer's host answered the SYN with a RST: nothing listens on that port\./);
    assert.match(h.md, /In Python: `ConnectionRefusedError` \(errno ECONNREFUSED\) from `connect\(\)`/);
    if (process.platform === 'linux') assert.match(h.md, /Its message: `\[Errno 111\] Connection refused`/);
    assert.match(h.md, /In Node: `err\.code` is `'ECONNREFUSED'`/);
    assert.match(h.md, /Typical cause \(§10\.3\): `connect tcp` to a port where nothing listens/);
    assert.doesNotMatch(hoverOver(text, 2, '"refused"')?.md ?? '', /ConnectionRefusedError/, 'the pattern is a payload, not a code');
  });

  it("gives each code its own Python exception, and Socket Lab's own codes no Node code", () => {
    const md = (code: string): string => hoverOver(`### a\nrecv line\nexpect error ${code}\n`, 2, code)?.md ?? '';
    assert.match(md('EPIPE'), /`BrokenPipeError`/);
    assert.match(md('ECONNRESET'), /`ConnectionResetError`/);
    assert.match(md('ETIMEDOUT'), /`TimeoutError`/);
    assert.match(md('ENOTFOUND'), /`socket\.gaierror`/);
    if (process.platform === 'linux') assert.match(md('EADDRINUSE'), /`OSError` with `errno\.EADDRINUSE` from `bind\(\)`\. Its message: `\[Errno 98\] Address already in use`/);
    if (process.platform === 'linux') assert.match(md('EHOSTUNREACH'), /\[Errno 113\] No route to host/);
    const eof = md('EOF');
    assert.match(eof, /In Python: no exception: a `recv\(\)` returned `b''` before the delimiter/);
    assert.doesNotMatch(eof, /In Node/);
    assert.match(md('DEPTH_ZERO_SELF_SIGNED_CERT'), /`ssl\.SSLCertVerificationError`.*self-signed certificate/s);
    assert.match(md('ERR_SSL_DECRYPTION_FAILED'), /^\*\*ERR\\_SSL\\_DECRYPTION\\_FAILED\*\* \(one of the `ERR_SSL_…` codes\)/);
  });

  it('says so when expect error names a code Socket Lab does not know: it would never match', () => {
    assert.match(hoverOver('### a\nconnect tcp 127.0.0.1:1\nexpect error ECONNREFUSE\n', 2, 'ECONNREFUSE')?.md ?? '', /not a code Socket Lab knows \(§10\.3\)/);
  });

  it('explains the code of a step that erred in a run, in the hover of its result', async () => {
    const port = await closedPort();
    const r = await runSock(`### refused\nconnect tcp 127.0.0.1:${port} timeout 2s\nexpect error ECONNREFUSED\n\n### unexpected\nconnect tcp 127.0.0.1:${port} timeout 2s\n`);
    const [expected, unexpected] = r.steps.filter((s) => s.status === 'error');
    assert.ok(expected?.expected && unexpected && !unexpected.expected, JSON.stringify(r.steps));
    for (const e of [expected, unexpected]) {
      const md = shown(resultHoverMarkdown(e) ?? '');
      assert.match(md, new RegExp(`^\\*\\*connect tcp 127\\.0\\.0\\.1:${port} timeout 2s\\*\\*`));
      assert.match(md, /connection refused: nothing is listening there \(ECONNREFUSED\)/);
      assert.match(md, /On the wire: the peer's host answered the SYN with a RST/);
      assert.match(md, /In Python: `ConnectionRefusedError`/);
    }
    assert.match(resultHoverMarkdown(expected) ?? '', /\(an expected error\)/);
    const pass = r.steps.find((s) => s.status === 'pass');
    assert.ok(pass);
    assert.equal(resultHoverMarkdown(pass), undefined, 'a pass says it all on its line');
  });
});
