// examples/dns-upstream.sock: Socket Lab as the upstream of a real forwarding dnsmasq (Debian's),
// which forwards to the example's UDP listener (--server=127.0.0.1#UPSTREAM); both ports are free
// loopback ports passed as --var port=N --var upstream=M.
import { strict as assert } from 'node:assert';
import { cli, freePort, freeUdpPort, type Running, start } from '../helpers';
import { verifyExport } from '../export/verify';

describe('examples/dns-upstream.sock behind a forwarding dnsmasq', function () {
  let dnsmasq: Running;
  let port = 0;
  let upstream = 0;

  before(async () => {
    port = await freePort();
    upstream = await freeUdpPort();
    dnsmasq = start('dnsmasq', ['--no-daemon', '--log-queries', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--user=root', `--server=127.0.0.1#${upstream}`], { suite: true, timeoutMs: 60_000 });
    await dnsmasq.waitFor(/using nameserver 127\.0\.0\.1#\d+/, 15_000);
  });

  after(() => {
    dnsmasq.child.kill('SIGKILL');
  });

  it('answers the forwarded query with its own id and question, and resolve through dnsmasq gets the made-up address', async () => {
    const r = await cli(['run', 'examples/dns-upstream.sock', '--var', `port=${port}`, '--var', `upstream=${upstream}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^1 passed, 0 failed/m);
    assert.match(r.stdout, /capture id u16 at 0\s+id = "\d+"/);
    // dnsmasq took the answer as the reply to its query: the id and the question matched.
    await dnsmasq.waitFor(/forwarded lab\.test to 127\.0\.0\.1#\d+[\s\S]*reply lab\.test is 192\.0\.2\.53/);
  });

  it('exports to Python and Node programs whose fake upstream answers dnsmasq, and whose resolve gets the made-up address', async function () {
    this.timeout(60_000);
    // A dnsmasq of its own that caches nothing, so each of the three runs' resolve reaches the upstream.
    const port = await freePort();
    const upstream = await freeUdpPort();
    const uncached = start('dnsmasq', ['--no-daemon', '--cache-size=0', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--user=root', `--server=127.0.0.1#${upstream}`], { timeoutMs: 60_000 });
    try {
      await uncached.waitFor(/using nameserver 127\.0\.0\.1#\d+/, 15_000);
      const vars = async (): Promise<Record<string, string>> => ({ port: String(port), upstream: String(upstream) });
      await verifyExport({ file: 'examples/dns-upstream.sock', vars, udpListeners: ['fake'], varies: { fake: "dnsmasq's query id is its own random number" } });
    } finally {
      uncached.child.kill('SIGKILL');
    }
  });
});
