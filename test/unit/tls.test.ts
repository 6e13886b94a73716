import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSock } from '../../src/sock/parser';
import { listenerPort, run, runSock, start, startPeer, type Running } from './helpers';

/** Makes a self-signed certificate with OpenSSL (CN=localhost, SAN localhost and 127.0.0.1). */
async function opensslCertificate(dir: string): Promise<{ cert: string; key: string; fingerprint: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  assert.equal(r.code, 0, r.stderr);
  const fp = await run('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256']);
  return { cert, key, fingerprint: fp.stdout.trim().replace(/^.*=/, '') };
}

/** `openssl s_server -rev` (answers each line reversed) for one connection; resolves with its port. */
async function sServer(cert: string, key: string, extra: string[] = []): Promise<{ server: Running; port: number }> {
  const server = start('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', cert, '-key', key, '-naccept', '1', '-rev', ...extra]);
  const port = Number((await server.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/))[1]);
  return { server, port };
}

describe('TLS against OpenSSL', () => {
  let dir: string;
  let pki: { cert: string; key: string; fingerprint: string };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'socket-lab-tls-'));
    pki = await opensslCertificate(dir);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies by default: an untrusted self-signed certificate is a clear error', async () => {
    const { port } = await sServer(pki.cert, pki.key);
    const r = await runSock(`### verify\nconnect tls 127.0.0.1:${port}\nsend "x"\n`);
    assert.equal(r.exitCode, 2);
    assert.equal(r.steps[0].code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.match(r.steps[0].detail ?? '', /certificate verification failed: self-signed certificate; trust it with ca FILE, or add insecure/);
  });

  it('with ca FILE it verifies, talks to s_server, and shows protocol, cipher and the certificate fingerprint', async () => {
    const { port } = await sServer(pki.cert, pki.key);
    const r = await runSock(`### trusted\nconnect tls 127.0.0.1:${port}\nca cert.pem\nsend "hello\\n"\nrecv line\nexpect "olleh\\n"\n`, { baseDir: dir });
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    const detail = r.steps[0].detail ?? '';
    assert.match(detail, /TLSv1\.3 TLS_AES_256_GCM_SHA384/);
    assert.ok(detail.includes(`SHA-256 ${pki.fingerprint}`), `${detail} lacks ${pki.fingerprint}`);
    assert.match(detail, /peer CN=localhost issued by CN=localhost/);
    assert.match(detail, /; verified$/);
    const tls = r.events.find((e) => e.type === 'traffic' && e.event.type === 'tls');
    assert.ok(tls?.type === 'traffic' && tls.event.type === 'tls' && tls.event.session.verified && !tls.event.insecure);
  });

  it('checks the host name: a servername the certificate does not name fails', async () => {
    const { port } = await sServer(pki.cert, pki.key);
    const r = await runSock(`### wrong name\nconnect tls 127.0.0.1:${port}\nca cert.pem\nservername wrong.example\n`, { baseDir: dir });
    assert.equal(r.steps[0].code, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.match(r.steps[0].detail ?? '', /does not name this host/);
  });

  it('insecure connects anyway and says so', async () => {
    const { port } = await sServer(pki.cert, pki.key);
    const r = await runSock(`### insecure\nconnect tls 127.0.0.1:${port}\ninsecure\nsend "abc\\n"\nrecv line\nexpect "cba"\n`);
    assert.equal(r.exitCode, 0);
    assert.match(r.steps[0].detail ?? '', /NOT VERIFIED \(insecure\): DEPTH_ZERO_SELF_SIGNED_CERT/);
  });

  it('listen tls with a self-signed certificate serves openssl s_client, negotiating ALPN', async () => {
    let client = '';
    const r = await runSock('### secure\nlisten tls 127.0.0.1:0 as secure\nself-signed\nalpn h2 http/1.1\nrecv line\nsend "pong\\n"\nclose\n', {
      during: async (events) => {
        const port = listenerPort(events, 'secure');
        const c = start('sh', ['-c', `printf 'ping\\n' | openssl s_client -connect 127.0.0.1:${port} -servername localhost -alpn h2 -ign_eof 2>&1`]);
        client = (await c.exited).stdout;
      },
    });
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    assert.match(client, /ALPN protocol: h2/);
    assert.match(client, /subject=CN = localhost, O = Socket Lab \(self-signed\)/);
    assert.match(client, /self-signed certificate/);
    assert.match(client, /^pong$/m);
    const recv = r.steps.find((s) => s.source === 'recv line');
    assert.equal(recv?.payload?.toString(), 'ping\n');
    const fp = /SHA-256 ([0-9A-F:]+)/.exec(r.steps[0].detail ?? '')?.[1];
    assert.ok(fp && fp.length === 95, `fingerprint in ${r.steps[0].detail}`);
  });

  it('listen tls with cert and key files: s_client verifies it with the CA file', async () => {
    let client = '';
    const r = await runSock('### files\nlisten tls 127.0.0.1:0 as files\ncert cert.pem\nkey key.pem\nsend "verified hello\\n"\nclose\n', {
      baseDir: dir,
      during: async (events) => {
        const port = listenerPort(events, 'files');
        const c = start('sh', ['-c', `openssl s_client -connect 127.0.0.1:${port} -CAfile ${join(dir, 'cert.pem')} -verify_return_error -ign_eof < /dev/null 2>&1`]);
        client = (await c.exited).stdout;
      },
    });
    assert.equal(r.exitCode, 0);
    assert.match(client, /Verify return code: 0 \(ok\)/);
    assert.match(client, /^verified hello$/m);
  });

  it('the parser keeps TLS lines to TLS blocks and requires a certificate for listen tls', () => {
    const msgs = (t: string): string[] => parseSock(t).diagnostics.map((d) => d.message);
    assert.match(msgs('### a\nlisten tls 0\nclose')[0], /needs cert FILE and key FILE, or self-signed/);
    assert.match(msgs('### a\nconnect udp 127.0.0.1:1\ninsecure')[0], /TLS setting/);
    // In a connect tcp block, TLS lines are for a starttls step (§6.1.1).
    assert.ok(msgs('### a\nconnect tcp 127.0.0.1:1\ninsecure').includes('TLS lines in a connect tcp block are for its starttls step, and it has none: add starttls, or connect tls'));
    assert.match(msgs('### a\nlisten tls 0\ninsecure\nself-signed')[0], /client setting/);
    assert.match(msgs('### a\nconnect tls 127.0.0.1:1\nself-signed')[0], /listener setting/);
    // A client's cert and key are its certificate for mutual TLS: together, or an error.
    assert.deepEqual(msgs('### a\nconnect tls 127.0.0.1:1\ncert x.pem'), ['a client certificate needs both cert FILE and key FILE (mutual TLS)']);
    assert.deepEqual(msgs('### a\nconnect tls 127.0.0.1:1\ncert x.pem\nkey x.key'), []);
    assert.deepEqual(msgs('### a\nconnect tls 127.0.0.1:443\ninsecure'), ['insecure: the server certificate is not verified']);
  });
});

describe('TLS errors are typed like every other', () => {
  it('ECONNREFUSED for a closed port, and a clear handshake error against a plain TCP peer', async () => {
    const { port, peer } = await startPeer('server.py', ['0']);
    const r = await runSock(`### plain peer\nconnect tls 127.0.0.1:${port}\n`);
    assert.equal(r.exitCode, 2);
    assert.match(r.steps[0].code ?? '', /^(ERR_SSL_|ECONNRESET|EPROTO)/);
    assert.match(r.steps[0].detail ?? '', /TLS handshake failed|connection reset/);
    assert.doesNotMatch(r.steps[0].detail ?? '', /\n/);
    await peer.exited;
    const refused = await runSock(`### closed\nconnect tls 127.0.0.1:${port}\n`);
    assert.equal(refused.steps[0].code, 'ECONNREFUSED');
    assert.match(refused.steps[0].detail ?? '', /connect tls 127\.0\.0\.1:\d+: connection refused/);
  });
});
