// examples/redis.sock against a real redis-server (Debian's), started on a free loopback port and
// passed to the example as --var port=N, the way every example takes its server's port.
import { strict as assert } from 'node:assert';
import { cli, freePort, type Running, start } from '../helpers';
import { verifyExport } from '../export/verify';


describe('examples/redis.sock against redis-server', function () {
  let redis: Running;
  let port = 0;

  before(async () => {
    port = await freePort();
    redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { suite: true, timeoutMs: 60_000 });
    await redis.waitFor(/Ready to accept connections/, 15_000);
  });

  after(() => {
    redis.child.kill('SIGKILL');
  });

  it('runs: PING, INCR and GET with the captured value, a list read back, an error reply', async () => {
    const first = await cli(['run', 'examples/redis.sock', '--var', `port=${port}`]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /capture visits \/\^:\(\\d\+\)\\r\\n\$\/\s+visits = "1"/);
    assert.match(first.stdout, /^7 passed, 0 failed/m);
    // The server kept the counter: a second run captures 2, and GET gives 2 back.
    const second = await cli(['run', 'examples/redis.sock', '--var', `port=${port}`]);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /visits = "2"/);
    assert.match(second.stdout, /✓ (\[c\d+\] )?expect "\{\{visits\}\}\\r\\n"\s+found "2\\r\\n"/);
  });

  it('exports to Python and Node programs that send and receive the same and pass the same expectations', async function () {
    this.timeout(60_000);
    await verifyExport({ file: 'examples/redis.sock', vars: async () => ({ port: String(port) }), varies: { 'block 2': 'INCR counts up from run to run' } });
  });
});
