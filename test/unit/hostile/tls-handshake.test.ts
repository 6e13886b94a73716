// Silent peers against a TLS listener: a TCP socket that never starts its handshake must not
// hold a max-conns slot for Node's 120 s; the handshake is bounded (5 s by default, shorter
// with idle-timeout).
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS } from '../../../src/net/listener';
import type { RunEvent } from '../../../src/sock/runEvents';
import { listenerPort, PEERS, runSock, start } from '../helpers';

function trafficErrors(events: readonly RunEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'traffic' && e.event.type === 'error' ? [`${e.event.code}: ${e.event.message}`] : []));
}

describe('hostile peers: silent sockets against a TLS listener', () => {
  it('with idle-timeout, a silent socket is closed before its handshake and frees the only max-conns slot', async () => {
    let reply = '';
    let silentOut = '';
    const r = await runSock('### tls\nlisten tls 127.0.0.1:0 as l\nself-signed\nmax-conns 1\nidle-timeout 300ms\nsend "hello"\nclose\n', {
      during: async (events) => {
        const port = String(listenerPort(events, 'l'));
        const silent = start('python3', [join(PEERS, 'silent.py'), port, '8']);
        await silent.waitFor(/connected/);
        await silent.waitFor(/closed after|still open/, 9000);
        silentOut = silent.stdout();
        reply = (await start('python3', [join(PEERS, 'tls_client.py'), port]).exited).stdout.trim();
      },
    });
    const closedAfter = Number(/closed after ([\d.]+) s/.exec(silentOut)?.[1]);
    assert.ok(closedAfter >= 0.2 && closedAfter < 2, silentOut);
    assert.equal(reply, "b'hello'", 'the next client got the slot');
    assert.ok(trafficErrors(r.events).some((m) => /^ETIMEDOUT: tls handshake with 127\.0\.0\.1:\d+: not completed within 300 ms; closed$/.test(m)), JSON.stringify(trafficErrors(r.events)));
  });

  it(`without idle-timeout, the handshake is bounded by ${DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS} ms, not Node's 120 s`, async () => {
    let silentOut = '';
    const r = await runSock('### tls\nlisten tls 127.0.0.1:0 as l\nself-signed\nmax-conns 1\nsend "hello"\nclose\n', {
      during: async (events) => {
        const silent = start('python3', [join(PEERS, 'silent.py'), String(listenerPort(events, 'l')), '10']);
        await silent.waitFor(/closed after|still open/, 12_000);
        silentOut = silent.stdout();
      },
    });
    const closedAfter = Number(/closed after ([\d.]+) s/.exec(silentOut)?.[1]);
    assert.ok(closedAfter >= DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS / 1000 - 0.2 && closedAfter < DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS / 1000 + 2, silentOut);
    assert.ok(trafficErrors(r.events).some((m) => m.includes(`not completed within ${DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS} ms`)));
  });
});
