// examples/mutual-tls.sock against a real `openssl s_server -Verify 1` (which requires a client
// certificate), with a CA, a server and a client certificate the test makes with openssl, passed
// as --var port=N --var certs=DIR.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, freePort, run, type Running, start } from '../helpers';
import { verifyExport } from '../export/verify';

/** Runs openssl with `args` in `dir`; fails the test with its stderr when it fails. */
async function openssl(dir: string, args: string[]): Promise<void> {
  const r = await run('openssl', args, { cwd: dir });
  assert.equal(r.code, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

describe('examples/mutual-tls.sock against openssl s_server -Verify 1', function () {
  let dir: string;
  let server: Running;
  let port = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'socket-lab-mtls-'));
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    await openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=lab-ca']);
    await writeFile(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1');
    await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth');
    for (const [name, subject] of [['server', '/CN=localhost'], ['client', '/CN=socket-lab-client']]) {
      await openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
      await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
    }
    port = await freePort();
    server = start('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', 'server.pem', '-key', 'server.key', '-CAfile', 'ca.pem', '-Verify', '1', '-rev'], { cwd: dir, suite: true, timeoutMs: 60_000 });
    await server.waitFor(/ACCEPT/, 15_000);
  });

  after(async () => {
    server.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('runs: the client certificate verified by s_server, a Socket Lab listener that requires one, a client without one refused', async () => {
    const r = await cli(['run', 'examples/mutual-tls.sock', '--var', `port=${port}`, '--var', `certs=${dir}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^7 passed, 0 failed/m);
    assert.match(r.stdout, /client certificates required \(mutual TLS\)/);
    assert.match(r.stdout, /✓ \[guarded c\d+\] expect tls subject \/CN=socket-lab-client\/\s+the subject CN=socket-lab-client matches/);
    // s_server saw the client's certificate and verified it.
    await server.waitFor(/Peer certificate: CN = socket-lab-client[\s\S]*Verification: OK/);
  });

  it('exports to Python and Node programs: client certificates both ways, a client without one refused', async function () {
    this.timeout(60_000);
    await verifyExport({ file: 'examples/mutual-tls.sock', vars: async () => ({ port: String(port), certs: dir }) });
  });
});
