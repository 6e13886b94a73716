// examples/tls-facts.sock against a real openssl s_server, started on a free loopback port with a
// certificate made for the test, passed to the example as --var port=N, --var ca=PATH, --var fp=….
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, freePort, run, type Running, start } from '../helpers';
import { verifyExport } from '../export/verify';


describe('examples/tls-facts.sock against openssl s_server', function () {
  let dir: string;
  let server: Running;
  let port = 0;
  let fingerprint = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'socket-lab-tls-facts-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const r = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    assert.equal(r.code, 0, r.stderr);
    fingerprint = (await run('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'])).stdout.trim().replace(/^.*=/, '');
    port = await freePort();
    server = start('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key, '-rev', '-alpn', 'h2'], { suite: true, timeoutMs: 60_000 });
    await server.waitFor(/ACCEPT/, 15_000);
  });

  after(async () => {
    server.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('runs: the session is verified TLS 1.3 with ALPN h2 and the certificate made for it', async () => {
    const r = await cli(['run', 'examples/tls-facts.sock', '--var', `port=${port}`, '--var', `ca=${join(dir, 'cert.pem')}`, '--var', `fp=${fingerprint}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ (\[c\d+\] )?expect tls verified\s+verified: CN=localhost, issued by CN=localhost/);
    assert.ok(r.stdout.includes(`SHA-256 ${fingerprint}`));
    assert.match(r.stdout, /^8 passed, 0 failed/m);
  });

  it('fails on another certificate\'s fingerprint, saying which one the server has', async () => {
    const r = await cli(['run', 'examples/tls-facts.sock', '--var', `port=${port}`, '--var', `ca=${join(dir, 'cert.pem')}`, '--var', 'fp=AB:CD:EF']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(r.stdout.includes(`the SHA-256 fingerprint is ${fingerprint}`), r.stdout);
  });

  it('exports to Python and Node programs that check the same TLS facts (verified, TLS 1.3, ALPN h2, fingerprint, subject)', async function () {
    this.timeout(60_000);
    await verifyExport({ file: 'examples/tls-facts.sock', vars: async () => ({ port: String(port), ca: join(dir, 'cert.pem'), fp: fingerprint }) });
  });
});
