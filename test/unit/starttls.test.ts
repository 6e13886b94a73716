import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSock } from '../../src/sock/parser';
import { run, runSock, startPeer } from './helpers';

// STARTTLS against test/peers/starttls_server.py: an SMTP-style plain greeting, then a TLS
// handshake made by Python's ssl module on the same connection.
describe('starttls: a TLS handshake on an open TCP connection, against Python\'s ssl', function () {
  let dir: string;
  let cert: string;
  let key: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'socket-lab-starttls-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    const r = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('upgrades after the server\'s go-ahead, verified against ca, and the rest of the conversation is TLS', async () => {
    const { peer, port } = await startPeer('starttls_server.py', ['0', cert, key]);
    const r = await runSock([
      '### smtp',
      `connect tcp 127.0.0.1:${port}`,
      `ca ${cert}`,
      'recv line timeout 3s',
      'expect "220 lab ESMTP"',
      'send "STARTTLS\\r\\n"',
      'recv line timeout 3s',
      'expect exactly "220 Ready to start TLS\\r\\n"',
      'starttls timeout 3s',
      'expect tls verified',
      'expect tls subject /CN=localhost/',
      'send "HELLO\\r\\n"',
      'recv line timeout 3s',
      'expect exactly "250 secure HELLO\\r\\n"',
    ].join('\n'));
    assert.deepEqual(r.steps.filter((e) => e.status !== 'ok' && e.status !== 'pass').map((e) => `${e.source}: ${e.detail}`), []);
    assert.equal(r.summary.passed, 5);
    assert.match(String(r.steps.find((e) => e.verb === 'starttls')?.detail), /^TLSv1\.3 .*peer CN=localhost .*verified$/);
    assert.match((await peer.waitFor(/tls (TLSv[\d.]+)\r?\n/))[1], /^TLSv1\.[23]$/);
  });

  it('verifies the certificate as connect tls does, and refuses to start with unread bytes queued', async () => {
    const untrusted = await startPeer('starttls_server.py', ['0', cert, key]);
    const r1 = await runSock(`### no ca\nconnect tcp 127.0.0.1:${untrusted.port}\nrecv line timeout 3s\nsend "STARTTLS\\r\\n"\nrecv line timeout 3s\nstarttls timeout 3s\n`);
    const s1 = r1.steps.find((e) => e.verb === 'starttls');
    assert.equal(s1?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', String(s1?.detail));
    const early = await startPeer('starttls_server.py', ['0', cert, key]);
    // The greeting is still queued: a handshake now would mix plain bytes with TLS.
    const r2 = await runSock(`### unread\nconnect tcp 127.0.0.1:${early.port}\nwait 300ms\nstarttls timeout 3s\n`);
    const s2 = r2.steps.find((e) => e.verb === 'starttls');
    assert.equal(s2?.code, 'ESTARTTLS');
    assert.match(String(s2?.detail), /bytes arrived before the handshake and were not read: read the server's reply first \("220 lab ESMTP ready\\r\\n"\)/);
  });

  it('keeps starttls and its TLS lines to connect tcp blocks', () => {
    const msgs = (t: string): string[] => parseSock(t).diagnostics.map((d) => d.message);
    assert.deepEqual(msgs('### a\nconnect tcp 127.0.0.1:25\nca x.pem\nstarttls\n'), []);
    assert.deepEqual(msgs('### a\nconnect tcp 127.0.0.1:25\nca x.pem\n'), ['TLS lines in a connect tcp block are for its starttls step, and it has none: add starttls, or connect tls']);
    assert.match(msgs('### a\nconnect tls 127.0.0.1:465\nstarttls\n')[0], /starttls upgrades the TCP connection of a connect tcp block/);
    assert.match(msgs('### a\nlisten tcp 0\nstarttls\n')[0], /starttls upgrades the TCP connection of a connect tcp block/);
  });
});
