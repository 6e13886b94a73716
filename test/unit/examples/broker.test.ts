// examples/broker.sock against a real ncat --broker (Debian's ncat), started on a free loopback
// port and passed to the example as --var port=N: two clients through the relay, paced by
// `await a data N` instead of a wait, run several times over to show the pacing holds.
import { strict as assert } from 'node:assert';
import { cli, freePort, type Running, start } from '../helpers';
import { verifyExport } from '../export/verify';


describe('examples/broker.sock against ncat --broker', function () {
  this.timeout(60_000);
  let broker: Running;
  let port = 0;

  before(async () => {
    port = await freePort();
    broker = start('ncat', ['--broker', '--listen', '127.0.0.1', String(port), '-v'], { suite: true, timeoutMs: 60_000 });
    await broker.waitFor(/Listening on 127\.0\.0\.1:\d+/, 15_000);
  });

  after(() => {
    broker.child.kill('SIGKILL');
  });

  it('relays b to a and a to b with no wait, the same way on every one of 5 runs', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await cli(['run', 'examples/broker.sock', '--var', `port=${port}`], { timeoutMs: 10_000 });
      assert.equal(r.code, 0, `run ${i + 1}:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /await a data 13 timeout 2s\s+13 bytes received/);
      assert.match(r.stdout, /await a data 24 timeout 2s\s+24 bytes received/);
      assert.match(r.stdout, /✓ \[c\d+\] expect "hello from b\\nbye from b\\n"/);
      assert.match(r.stdout, /✓ \[c\d+\] expect "hello from a\\n"/);
      assert.match(r.stdout, /^7 passed, 0 failed/m);
    }
  });

  it('exports to Python and Node programs that relay the same bytes through ncat --broker, paced by await', async function () {
    this.timeout(60_000);
    await verifyExport({ file: 'examples/broker.sock', vars: async () => ({ port: String(port) }) });
  });
});
