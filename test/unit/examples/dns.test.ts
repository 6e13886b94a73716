// examples/dns.sock against a real dnsmasq (Debian's), started on a free loopback port (UDP and
// TCP) and passed to the example as --var port=N, the way every example takes its server's port.
import { strict as assert } from 'node:assert';
import { cli, freePort, type Running, start } from '../helpers';
import { verifyExport } from '../export/verify';

describe('examples/dns.sock against dnsmasq', function () {
  let dnsmasq: Running;
  let port = 0;

  before(async () => {
    port = await freePort();
    dnsmasq = start('dnsmasq', ['--no-daemon', '--log-queries', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--user=root', '--address=/lab.test/127.0.0.7'], { suite: true, timeoutMs: 60_000 });
    await dnsmasq.waitFor(/started, version/, 15_000);
  });

  after(() => {
    dnsmasq.child.kill('SIGKILL');
  });

  it('runs: an A query built from fields over UDP and over TCP, the id matched, the address captured and written by ntoa', async () => {
    const r = await cli(['run', 'examples/dns.sock', '--var', `port=${port}`, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; verb?: string; detail?: string; passed?: number; failed?: number });
    const summary = events.find((e) => e.type === 'summary');
    assert.deepEqual([summary?.passed, summary?.failed], [6, 0]);
    assert.deepEqual(events.filter((e) => e.verb === 'ntoa').map((e) => e.detail), ['127.0.0.7', '127.0.0.7']);
    // dnsmasq read both messages as the query they are: the TCP one's length was right.
    await dnsmasq.waitFor(/query\[A\] lab\.test from 127\.0\.0\.1[\s\S]*query\[A\] lab\.test from 127\.0\.0\.1/);
  });

  it('exports to Python and Node programs that send the same queries over UDP and TCP and pass the same expectations', async function () {
    this.timeout(60_000);
    const random = 'the query id is {{$randomInt 1 65536}}';
    await verifyExport({ file: 'examples/dns.sock', vars: async () => ({ port: String(port) }), varies: { 'block 1': random, 'block 3': random } });
  });
});
