import { strict as assert } from 'node:assert';
import { parseSock } from '../../src/sock/parser';
import { CLI, run, tempSock } from './helpers';

/**
 * Runs the CLI on a `.sock` file inside a private network namespace made for the test: nothing
 * it sends can leave it. `setup` are the `ip` commands that build its network.
 */
async function runInNamespace(setup: string[], sock: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const f = await tempSock(sock);
  try {
    const script = [...setup, `exec "${process.execPath}" "${CLI}" run "${f.file}"`].join(' && ');
    return await run('unshare', ['-n', 'sh', '-c', script], { timeoutMs: 30_000 });
  } finally {
    await f.remove();
  }
}

/** Two hosts' worth of network on one veth pair: 192.0.2.1 (v0) and 192.0.2.2 (v1), TEST-NET-1. */
const VETH = [
  'ip link set lo up',
  'ip link add v0 type veth peer name v1',
  'ip addr add 192.0.2.1/24 broadcast 192.0.2.255 dev v0',
  'ip addr add 192.0.2.2/24 broadcast 192.0.2.255 dev v1',
  'ip link set v0 up',
  'ip link set v1 up',
  'ip route add default dev v0',
];

describe('UDP broadcast and multicast, in a private network namespace', () => {
  it('broadcast: the limited and the subnet broadcast reach a listener once the block says broadcast', async () => {
    const r = await runInNamespace(VETH, [
      '### receiver',
      'listen udp 0.0.0.0:0 as rx',
      'recv',
      'expect /^hello everyone/',
      '### limited broadcast, as sendto(("<broadcast>", port))',
      'connect udp <broadcast>:{{rx.port}}',
      'broadcast',
      'send "hello everyone (255.255.255.255)"',
      'wait 300ms',
      '### subnet broadcast',
      'connect udp 192.0.2.255:{{rx.port}}',
      'broadcast',
      'send "hello everyone (192.0.2.255)"',
      'wait 300ms',
    ].join('\n'));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /← \[rx 192\.0\.2\.1:\d+\] recv\s+\d+ bytes {2}"hello everyone \(255\.255\.255\.255\)"/);
    assert.match(r.stdout, /← \[rx 192\.0\.2\.1:\d+\] recv\s+\d+ bytes {2}"hello everyone \(192\.0\.2\.255\)"/);
    assert.match(r.stdout, /4 passed, 0 failed/, 'two expects of the receiver, two senders that ran cleanly');
  });

  it('without the broadcast line, a subnet broadcast is a clear EACCES error', async () => {
    const r = await runInNamespace(VETH, ['### no broadcast line', 'connect udp 192.0.2.255:9', 'send "x"'].join('\n'));
    assert.equal(r.code, 2);
    assert.match(r.stdout, /connect udp 192\.0\.2\.255:9: sending to a broadcast address needs the broadcast line \(SO_BROADCAST\) \(EACCES\)/);
  });

  it('the parser refuses 255.255.255.255 and <broadcast> without a broadcast line', () => {
    for (const target of ['255.255.255.255:9', '<broadcast>:9']) {
      assert.match(parseSock(`### a\nconnect udp ${target}\nsend "x"`).diagnostics[0]?.message ?? '', /needs a broadcast line/);
      assert.deepEqual(parseSock(`### a\nconnect udp ${target}\nbroadcast\nsend "x"`).diagnostics, []);
    }
    assert.match(parseSock('### a\nconnect tcp 127.0.0.1:1\nbroadcast').diagnostics[0]?.message ?? '', /UDP setting/);
  });

  it('multicast: a listener that joins a group receives what is sent to the group', async () => {
    const r = await runInNamespace(['ip link set lo up', 'ip link set lo multicast on', 'ip route add 239.0.0.0/8 dev lo'], [
      '### member',
      'listen udp 0.0.0.0:0 as member',
      'join 239.1.2.3',
      'recv',
      'expect "hello group"',
      '### sender',
      'connect udp 239.1.2.3:{{member.port}}',
      'send "hello group"',
      'wait 300ms',
    ].join('\n'));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ \[member [\d.:]+\] expect "hello group"/);
  });

  it('the parser checks join: listeners only, multicast groups only', () => {
    assert.match(parseSock('### a\nlisten udp 0\njoin 10.0.0.1').diagnostics[0]?.message ?? '', /not a multicast group/);
    assert.match(parseSock('### a\nconnect udp 127.0.0.1:9\njoin 239.1.2.3').diagnostics[0]?.message ?? '', /join is a listener setting/);
    assert.deepEqual(parseSock('### a\nlisten udp 0\njoin 239.1.2.3 127.0.0.1\njoin ff02::1\nrecv').diagnostics, []);
  });
});
