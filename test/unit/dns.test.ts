import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { parseSock } from '../../src/sock/parser';
import { freeUdpPort, runSock, start, type Running } from './helpers';

describe('resolve NAME TYPE @SERVER, against dnsmasq on loopback', () => {
  let dnsmasq: Running;
  let port: number;

  before(async () => {
    port = await freeUdpPort();
    dnsmasq = start('dnsmasq', [
      '--no-daemon', '--log-queries', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', '--user=root',
      '--address=/lab.test/127.0.0.7', '--address=/nx.test/', '--host-record=v6.lab.test,::7', '--mx-host=lab.test,mail.lab.test,10', '--mx-host=lab.test,backup.lab.test,20',
      '--txt-record=lab.test,hello lab', '--srv-host=_echo._tcp.lab.test,echo.lab.test,7,0,5', '--cname=www.lab.test,lab.test', '--ptr-record=7.0.0.127.in-addr.arpa,lab.test',
    ], { timeoutMs: 120_000, suite: true });
    await dnsmasq.waitFor(/started, version/);
  });

  after(async () => {
    dnsmasq.child.kill();
    await dnsmasq.exited;
  });

  it('answers every record type as dig +short would', async () => {
    const at = `@127.0.0.1:${port}`;
    const r = await runSock(`### dns\nresolve lab.test A ${at}\nexpect "127.0.0.7"\nresolve v6.lab.test AAAA ${at}\nexpect "::7"\nresolve lab.test MX ${at}\nexpect "10 mail.lab.test, 20 backup.lab.test"\nresolve lab.test TXT ${at}\nexpect "hello lab"\nresolve _echo._tcp.lab.test SRV ${at}\nexpect "0 5 7 echo.lab.test"\nresolve www.lab.test CNAME ${at}\nexpect "lab.test"\nresolve 127.0.0.7 PTR ${at}\nexpect "lab.test"\n`);
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    assert.equal(r.summary.passed, 7);
    await dnsmasq.waitFor(/query\[MX\] lab\.test from 127\.0\.0\.1/);
  });

  it('reports NXDOMAIN, a refused query and a server that never answers as typed errors', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    try {
      const r = await runSock(`### nx\nresolve gone.nx.test A @127.0.0.1:${port}\n### refused\nresolve other.example A @127.0.0.1:${port}\n### silent\nresolve lab.test A @127.0.0.1:${silent.address().port}\n`, { defaultTimeoutMs: 300 });
      assert.deepEqual(r.steps.map((s) => s.code), ['ENOTFOUND', 'EREFUSED', 'ETIMEOUT']);
      assert.match(r.steps[0].detail ?? '', new RegExp(`resolve gone\\.nx\\.test A @127\\.0\\.0\\.1:${port}: host not found \\(ENOTFOUND\\)`));
      assert.match(r.steps[1].detail ?? '', /the DNS server refused the query \(EREFUSED\)/);
      assert.match(r.steps[2].detail ?? '', /did not answer in time \(ETIMEOUT\)/);
    } finally {
      silent.close();
    }
  });

  it('checks record types and servers when parsing', () => {
    const msg = (t: string): string => parseSock(t).diagnostics[0]?.message ?? '';
    assert.match(msg('### a\nresolve lab.test SOA'), /not a record type: A, AAAA, MX, TXT, SRV, NS, CNAME, PTR/);
    assert.match(msg('### a\nresolve lab.test A 127.0.0.1'), /written @ADDRESS\[:PORT\]/);
    assert.match(msg('### a\nresolve lab.test A @dns.example'), /not a name server address/);
    assert.deepEqual(parseSock('### a\nresolve lab.test mx @[::1]:5353\nresolve lab.test A @::1\n').diagnostics, []);
  });
});
