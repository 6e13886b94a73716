// expect time, expect bytes, expect closed and expect tls, run against real peers: a listener of
// the same file for time, bytes and the peer's close, `openssl s_server` for the TLS facts.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSock } from '../../../src/sock/parser';
import { printSock } from '../../../src/sock/printer';
import { run, runSock, start, type Running, type SockResult } from '../helpers';

/** A listener that answers the first line after `delay`, then closes (or waits for the client's close, with `close` false). */
function server(delay: string, close = true): string {
  return `### server\nlisten tcp 127.0.0.1:0 as srv\nrecv line\nwait ${delay}\nsend "hello\\n"\n${close ? 'close' : 'recv'}\n\n`;
}

/** Each expect's status and detail, in order. */
function expects(r: SockResult): [string, string, string][] {
  return r.steps.filter((s) => s.verb === 'expect').map((s) => [s.source, s.status, s.detail ?? '']);
}

describe('expect checks facts', () => {
  it('expect time compares the last step\'s duration; expect, capture and set do not reset it', async () => {
    const r = await runSock(`@budget = 100ms\n${server('150ms')}### client\nconnect tcp 127.0.0.1:{{srv.port}}\nsend "hi\\n"\nrecv line\ncapture greeting\nexpect time > {{budget}}\nexpect time >= 100ms\nexpect time < 20ms\n`);
    const got = expects(r);
    assert.equal(got.length, 3, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    assert.deepEqual(got.slice(0, 2).map((e) => e[1]), ['pass', 'pass']);
    assert.equal(got[2][1], 'fail');
    assert.match(got[2][2], /^took 1\d\d(\.\d)? ms$/);
    assert.equal(r.summary.failed, 1);
  });

  it('expect time after a connect times the connect', async () => {
    const r = await runSock(`${server('0ms')}### client\nconnect tcp 127.0.0.1:{{srv.port}}\nexpect time < 5s\n`);
    assert.deepEqual(expects(r).map((e) => e[1]), ['pass']);
    assert.match(expects(r)[0][2], /^took \d+(\.\d)? ms$/);
  });

  it('expect bytes compares the byte count of the last value, exactly without an operator', async () => {
    const r = await runSock(`@n = 6\n${server('0ms')}### client\nconnect tcp 127.0.0.1:{{srv.port}}\nsend "hi\\n"\nrecv line\nexpect bytes 6\nexpect bytes {{n}}\nexpect bytes >= 5\nexpect bytes < 7\nexpect bytes 5\n`);
    const got = expects(r);
    assert.deepEqual(got.map((e) => e[1]), ['pass', 'pass', 'pass', 'pass', 'fail']);
    assert.equal(got[4][2], 'got 6 bytes');
  });

  it('expect closed passes once a recv returned 0 bytes, and fails while the peer keeps its side open', async () => {
    const closed = await runSock(`${server('0ms')}### client\nconnect tcp 127.0.0.1:{{srv.port}}\nsend "hi\\n"\nrecv line\nrecv\nexpect bytes 0\nexpect closed\n`);
    assert.deepEqual(expects(closed).map((e) => e[1]), ['pass', 'pass'], JSON.stringify(closed.steps.map((s) => [s.source, s.status, s.detail])));
    assert.equal(expects(closed)[1][2], 'the peer closed its side');
    const open = await runSock(`${server('0ms', false)}### client\nconnect tcp 127.0.0.1:{{srv.port}}\nsend "hi\\n"\nrecv line\nexpect closed\n`);
    assert.deepEqual(expects(open), [['expect closed', 'fail', 'the peer has not closed its side']]);
  });

  it('expect tls on a connection that is not TLS says so', async () => {
    const r = await runSock(`${server('0ms')}### client\nconnect tcp 127.0.0.1:{{srv.port}}\nexpect tls verified\n`);
    assert.deepEqual(expects(r), [['expect tls verified', 'fail', "the block's connection is not TLS"]]);
  });
});

describe('expect tls against openssl s_server', () => {
  let dir: string;
  let fingerprint = '';

  /** `openssl s_server -rev` for one connection, offering ALPN h2; resolves with its port. */
  async function sServer(): Promise<{ server: Running; port: number }> {
    const server = start('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem'), '-naccept', '1', '-rev', '-alpn', 'h2']);
    const port = Number((await server.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/))[1]);
    return { server, port };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'socket-lab-facts-'));
    const r = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost/O=Facts', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    assert.equal(r.code, 0, r.stderr);
    const fp = await run('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-fingerprint', '-sha256']);
    fingerprint = fp.stdout.trim().replace(/^.*=/, '');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('checks verified, protocol, cipher, ALPN, fingerprint (colons and case aside) and subject of a verified session', async () => {
    const { port } = await sServer();
    const bare = fingerprint.replace(/:/g, '').toLowerCase();
    const r = await runSock(
      `@fp = ${fingerprint}\n### tls\nconnect tls 127.0.0.1:${port}\nca cert.pem\nalpn h2\nexpect tls verified\nexpect tls protocol TLSv1.3\nexpect tls cipher TLS_AES_256_GCM_SHA384\nexpect tls alpn h2\nexpect tls fingerprint {{fp}}\nexpect tls fingerprint ${bare}\nexpect tls subject /CN=localhost/\nsend "hello\\n"\nrecv line\nexpect "olleh"\n`,
      { baseDir: dir },
    );
    const got = expects(r);
    assert.deepEqual(got.map((e) => e[1]), Array(8).fill('pass'), JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    assert.equal(got[0][2], 'verified: CN=localhost, O=Facts, issued by CN=localhost, O=Facts');
    assert.equal(got[4][2], `SHA-256 ${fingerprint}`);
  });

  it('fails with what the session has: a protocol, an ALPN protocol, a fingerprint, a subject', async () => {
    for (const [line, detail] of [
      ['expect tls protocol TLSv1.2', 'the protocol is TLSv1.3'],
      ['expect tls alpn none', 'the ALPN protocol is h2'],
      ['expect tls fingerprint AB:CD', `the SHA-256 fingerprint is ${fingerprint}`],
      ['expect tls subject /CN=example/', 'the subject is CN=localhost, O=Facts'],
    ]) {
      const { port } = await sServer();
      const r = await runSock(`### tls\nconnect tls 127.0.0.1:${port}\nca cert.pem\nalpn h2\n${line}\n`, { baseDir: dir });
      assert.deepEqual(expects(r), [[line, 'fail', detail]]);
    }
  });

  it('expect tls verified fails on an insecure session whose certificate nobody vouches for', async () => {
    const { port } = await sServer();
    const r = await runSock(`### tls\nconnect tls 127.0.0.1:${port}\ninsecure\nexpect tls alpn none\nexpect tls verified\n`, { baseDir: dir });
    assert.deepEqual(expects(r), [
      ['expect tls alpn none', 'pass', 'none'],
      ['expect tls verified', 'fail', 'not verified: DEPTH_ZERO_SELF_SIGNED_CERT'],
    ]);
  });
});

describe('expect facts in the parser', () => {
  it('reads each form, and the printer writes it back', () => {
    const good = '@t = 1s\n### t\nconnect tls 127.0.0.1:9\nrecv\nexpect time < 20ms\nexpect time >= {{t}}\nexpect bytes 5\nexpect bytes <= {{t}}\nexpect closed\nexpect tls verified\nexpect tls alpn none\nexpect tls subject /CN=a/i\n';
    const parsed = parseSock(good);
    assert.deepEqual(parsed.diagnostics, []);
    assert.deepEqual(parsed.blocks[0].steps.slice(1).map((s) => s.kind === 'expect' && s.matcher), [
      { kind: 'time', op: '<', ms: 20 },
      { kind: 'time', op: '>=', ms: (parsed.blocks[0].steps[2] as { matcher: { ms: unknown } }).matcher.ms },
      { kind: 'bytes', op: '=', count: 5 },
      { kind: 'bytes', op: '<=', count: (parsed.blocks[0].steps[4] as { matcher: { count: unknown } }).matcher.count },
      { kind: 'closed' },
      { kind: 'tls', fact: { name: 'verified' } },
      { kind: 'tls', fact: { name: 'alpn', value: (parsed.blocks[0].steps[7] as { matcher: { fact: { value: unknown } } }).matcher.fact.value } },
      { kind: 'tls', fact: { name: 'subject', source: 'CN=a', flags: 'i' } },
    ]);
    assert.ok(printSock(parsed).includes('expect time >= {{t}}\nexpect bytes 5\nexpect bytes <= {{t}}\nexpect closed\nexpect tls verified\nexpect tls alpn none\nexpect tls subject /CN=a/i\n'));
  });

  it('tells a missing comparison, a comparison without its space, and a misspelt TLS fact', () => {
    const message = (line: string): string => parseSock(`### t\nconnect tls 127.0.0.1:9\n${line}\n`).diagnostics[0]?.message ?? '';
    assert.match(message('expect time 20ms'), /^expect time takes a comparison, <, <=, >, >= or =/);
    assert.equal(message('expect time <20ms'), 'write a space after the comparison: expect time < 20ms');
    assert.match(message('expect tls protocl TLSv1.3'), /did you mean "protocol"\?/);
    assert.match(message('expect tiem < 2s'), /did you mean "time"\?/);
    assert.match(message('expect bytes many'), /^expect bytes takes a byte count/);
    assert.match(message('expect bytes != 5'), /^expect bytes takes a byte count, e\.g\. expect bytes 5 or expect bytes >= 5; not "!="/);
    assert.equal(parseSock('### t\nconnect tcp 127.0.0.1:9\nexpect bytes 5\n').diagnostics[0]?.message, 'expect checks the last receive or lookup, and none comes before it in this block');
    assert.deepEqual(parseSock('### t\nconnect tcp 127.0.0.1:9\nexpect time < 1s\nexpect closed\n').diagnostics, []);
  });
});
