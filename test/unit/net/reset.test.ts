// reset(): a RST for a TCP peer (Python's recv raises ConnectionResetError), and after a FIN of its
// own (when the kernel takes no SO_LINGER and Node's resetAndDestroy fails with EINVAL) a plain
// close: the socket closes at once instead of hanging its relay.
import { strict as assert } from 'node:assert';
import { StreamConnection } from '../../../src/net/stream';
import { TrafficBus, type TrafficEvent } from '../../../src/net/traffic';
import { startPeer } from '../helpers';

const T = { timeoutMs: 5000 };

describe('StreamConnection.reset', function () {
  this.timeout(20_000);

  it('sends a RST: a Python peer reading sees ConnectionResetError', async () => {
    // stream_server.py print: greets, then prints what it receives, and its error.
    const { peer, port } = await startPeer('stream_server.py', ['print']);
    const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, T, new TrafficBus());
    await conn.recv(undefined, T);
    conn.reset();
    const done = await peer.exited;
    assert.match(done.stdout + done.stderr, /ConnectionResetError|Connection reset by peer/);
  });

  it('after its own FIN, closes at once without an error', async () => {
    const { peer, port } = await startPeer('stream_server.py', ['print']);
    const bus = new TrafficBus();
    const events: TrafficEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, T, bus);
    conn.shutdown();
    const t0 = performance.now();
    conn.reset();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no close within 2 s')), 2000);
      const off = bus.subscribe((e) => {
        if (e.type === 'close' && e.id === conn.id) {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
      if (events.some((e) => e.type === 'close' && e.id === conn.id)) {
        clearTimeout(timer);
        resolve();
      }
    });
    assert.ok(performance.now() - t0 < 1000);
    assert.deepEqual(events.filter((e) => e.type === 'error').map((e) => (e.type === 'error' ? e.code : '')), [], 'no EINVAL');
    peer.child.kill();
  });
});
