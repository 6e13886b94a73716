// A UDP flood against a listener: each datagram starts a session, and max-conns caps how many
// run at once (default 100, as for TCP); the rest are turned away, counted and reported.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { DatagramSocket } from '../../../src/net/datagram';
import { DEFAULT_MAX_CONNECTIONS } from '../../../src/net/listener';
import { TrafficBus, type TrafficEvent } from '../../../src/net/traffic';
import { parseSock } from '../../../src/sock/parser';
import type { RunEvent } from '../../../src/sock/runEvents';
import { DROP_LINES_PER_LISTENER, Transcript } from '../../../src/sock/transcript';
import { listenerPort, PEERS, runSock, start } from '../helpers';

/** Runs test/peers/udp_flood.py; resolves with the replies it got within `waitS` seconds. */
function flood(port: number, count: number, waitS = 3): Promise<number> {
  return start('python3', [join(PEERS, 'udp_flood.py'), String(port), String(count), String(waitS)], { timeoutMs: 15_000 }).exited.then((r) => Number(/replies (\d+)/.exec(r.stdout)?.[1] ?? NaN));
}

describe('hostile peers: a UDP flood against a listener', () => {
  it('max-conns caps the UDP sessions running at once; the datagrams over it are turned away and reported', async () => {
    let replies = 0;
    const r = await runSock('### slow\nlisten udp 127.0.0.1:0 as l\nmax-conns 3\nwait 1s\nsend "pong"\n', {
      during: async (events) => {
        replies = await flood(listenerPort(events, 'l'), 50, 2);
      },
    });
    const drops = r.events.filter((e): e is RunEvent & { type: 'traffic'; event: Extract<TrafficEvent, { type: 'drop' }> } => e.type === 'traffic' && e.event.type === 'drop');
    assert.equal(replies, 3, 'three sessions ran: one reply each');
    assert.equal(r.steps.filter((s) => s.verb === 'send' && s.status === 'ok').length, 3);
    // The kernel may drop some of a loopback burst itself; every datagram that reached the listener over the cap is reported.
    assert.ok(drops.length >= 40 && drops.length <= 47, `${drops.length} drops`);
    assert.ok(drops.every((d) => d.event.reason === 'max-conns' && /^127\.0\.0\.1:\d+$/.test(d.event.remote)));
    // The transcript lists the first ones and counts the rest, so a flood cannot flood it.
    const t = new Transcript('x.sock');
    const lines = r.events.flatMap((e) => (t.format(e) ?? '').split('\n')).filter((l) => l.includes('turned away'));
    assert.equal(lines.length, DROP_LINES_PER_LISTENER + 1, lines.join('\n'));
    assert.match(lines[0], /^ {2}⊘ l turned away 127\.0\.0\.1:\d+: over max-conns$/);
    assert.match(lines[DROP_LINES_PER_LISTENER - 1], /over max-conns \(further ones are counted, and the count shown when l closes\)$/);
    assert.equal(lines[DROP_LINES_PER_LISTENER], `  ⊘ l turned away ${drops.length - DROP_LINES_PER_LISTENER} more peers (${drops.length} in all): over max-conns`);
  });

  it(`without max-conns a UDP listener runs at most ${DEFAULT_MAX_CONNECTIONS} sessions at once, as a TCP listener accepts`, async () => {
    const bus = new TrafficBus();
    let dropped = 0;
    bus.subscribe((e) => void (e.type === 'drop' && dropped++));
    const socket = await DatagramSocket.bind('127.0.0.1', 0, bus);
    let running = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    socket.onSession = async () => {
      running++;
      most = Math.max(most, running);
      await gate;
      running--;
    };
    try {
      const port = Number(socket.local.split(':')[1]);
      const flooded = flood(port, 300, 0.1);
      await new Promise((r) => setTimeout(r, 1000));
      release();
      await flooded;
      assert.equal(most, DEFAULT_MAX_CONNECTIONS);
      assert.ok(dropped > 0 && dropped === socket.dropped, `${dropped} drops, ${socket.dropped} counted`);
    } finally {
      release();
      await socket.close();
    }
  });

  it('the parser takes max-conns on a UDP listener', () => {
    const parsed = parseSock('### a\nlisten udp 127.0.0.1:0\nmax-conns 5\necho\n');
    assert.deepEqual(parsed.diagnostics, []);
    assert.equal(parsed.blocks[0].policy.maxConnections, 5);
  });
});
