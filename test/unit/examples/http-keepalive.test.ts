// examples/http-keepalive.sock against a real nginx (Debian's), started in a folder of its own on
// a free loopback port and passed to the example as --var port=N.
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, freePort, type Running, start } from '../helpers';
import { verifyExport } from '../export/verify';


/** Resolves once something accepts on 127.0.0.1:port; tries for at most 10 s. */
async function accepting(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing accepts on 127.0.0.1:${port}`);
}

describe('examples/http-keepalive.sock against nginx', function () {
  let nginx: Running;
  let dir = '';
  let port = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'socket-lab-nginx-'));
    port = await freePort();
    await mkdir(join(dir, 'www'));
    await writeFile(join(dir, 'www', 'index.html'), 'Hello from nginx, over one kept-alive connection.\n');
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, t)};`).join('\n');
    await writeFile(
      join(dir, 'nginx.conf'),
      `daemon off;\nmaster_process off;\npid ${join(dir, 'nginx.pid')};\nerror_log stderr warn;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n${temp}\n  server { listen 127.0.0.1:${port}; root ${join(dir, 'www')}; }\n}\n`,
    );
    nginx = start('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', 'stderr'], { suite: true, timeoutMs: 60_000 });
    await accepting(port);
  });

  after(async () => {
    nginx.child.kill('SIGKILL');
    await nginx.exited.catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('two requests on one connection: the body by its Content-Length, then a 304 for the captured ETag', async () => {
    const r = await cli(['run', 'examples/http-keepalive.sock', '--var', `port=${port}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /length = "50"/);
    assert.match(r.stdout, /← \[c1\] recv exactly \{\{length\}\}\s+50 bytes {2}"Hello from nginx, over one kept-alive connection\.\\n"/);
    // The second request went out on the same connection (c1), with the ETag the first reply gave.
    const etag = /etag = "\\"([^"\\]+)\\""/.exec(r.stdout)?.[1];
    assert.ok(etag, r.stdout);
    assert.match(r.stdout, new RegExp(`→ \\[c1\\] send .*\\n\\s+75 bytes {2}"GET /index\\.html HTTP/1\\.1\\\\r\\\\nHost: localhost\\\\r\\\\nIf-None-Match: \\\\"${etag}\\\\"`));
    assert.match(r.stdout, /✓ \[c1\] expect \/\^HTTP\\\/1\\\.1 304 Not Modified/);
    assert.match(r.stdout, /^7 passed, 0 failed/m);
  });

  it('exports to Python and Node programs that send the same requests on one connection and pass the same expectations', async function () {
    this.timeout(60_000);
    const date = "nginx's replies carry a Date header to the second";
    await verifyExport({ file: 'examples/http-keepalive.sock', vars: async () => ({ port: String(port) }), varies: { 'block 1': date, 'block 2': date } });
  });
});
