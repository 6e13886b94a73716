// Many steps waiting at once on one run: each wait must not add a listener to the run's abort
// signal (Node prints MaxListenersExceededWarning past 10), and cancelling still ends them all.
import { strict as assert } from 'node:assert';
import { connect, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { parseSock } from '../../../src/sock/parser';
import type { RunEvent, StepEvent } from '../../../src/sock/runEvents';
import { SockRun } from '../../../src/sock/runner';
import { Notifier, onAbort, sleep } from '../../../src/net/wait';
import { until } from '../../shared/until';
import { listenerPort } from '../helpers';

const PEERS = 30;

/** Collects the process warnings emitted while `body` runs. */
async function warningsDuring(body: () => Promise<void>): Promise<Error[]> {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  try {
    await body();
    // Node emits warnings on the next tick.
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

/**
 * Starts the run of `text`, lets `peers` reach its listener, waits until the listener has seen
 * {@link PEERS} of them (connections or datagrams), then stops the run.
 */
async function runWith(text: string, peers: (port: number) => () => void): Promise<StepEvent[]> {
  const events: RunEvent[] = [];
  const run = new SockRun(parseSock(text), { baseDir: process.cwd(), onEvent: (e) => events.push(e) });
  await run.run();
  const done = peers(listenerPort(events, 'l'));
  try {
    const seen = (): number => events.filter((e) => e.type === 'traffic' && (e.event.type === 'open' || (e.event.type === 'data' && e.event.direction === 'in'))).length;
    await until(`${PEERS} peers`, () => (seen() >= PEERS ? true : undefined), 5000);
    // Let every session reach its waiting step.
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    await run.stop(0);
    done();
  }
  return events.filter((e): e is StepEvent => e.type === 'step');
}

function tcpPeers(port: number): () => void {
  const sockets: Socket[] = [];
  for (let i = 0; i < PEERS; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    sockets.push(s);
  }
  return () => sockets.forEach((s) => s.destroy());
}

describe('hostile load: many steps wait at once', () => {
  it(`${PEERS} listener sessions waiting in recv print no MaxListenersExceededWarning, and stopping cancels them all`, async () => {
    let steps: StepEvent[] = [];
    const warnings = await warningsDuring(async () => {
      steps = await runWith('### l\nlisten tcp 127.0.0.1:0 as l\nrecv 10 timeout 10s\n', tcpPeers);
    });
    assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
    const cancelled = steps.filter((s) => s.source === 'recv 10 timeout 10s' && s.code === 'ECANCELED');
    assert.equal(cancelled.length, PEERS, JSON.stringify(steps.map((s) => [s.source, s.code])));
  });

  it(`${PEERS} UDP sessions in wait print no warning`, async () => {
    const warnings = await warningsDuring(async () => {
      await runWith('### l\nlisten udp 127.0.0.1:0 as l\nwait 10s\n', (port) => {
        const s = createSocket('udp4');
        for (let i = 0; i < PEERS; i++) s.send('x', port, '127.0.0.1');
        return () => s.close();
      });
    });
    assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
  });

  it('a socket waiting in turn on one signal, then on another, is cancelled by the signal of its wait and no other', async () => {
    const n = new Notifier();
    let ready: string | undefined;
    const wait = (signal: AbortSignal): Promise<string> => n.waitFor(() => ready, { timeoutMs: 10_000, signal }, 'recv');
    const cancelled = (e: unknown): boolean => (e as { code?: string }).code === 'ECANCELED';
    const a = new AbortController();
    const b = new AbortController();
    // Rounds on one signal: each wait ends as its data arrives.
    for (let round = 0; round < 3; round++) {
      ready = undefined;
      const w = wait(a.signal);
      ready = `round ${round}`;
      n.notify();
      assert.equal(await w, `round ${round}`);
    }
    ready = undefined;
    // Then a wait on another signal (a load session's): the first signal no longer ends it.
    const onB = wait(b.signal);
    // And one on the first signal while it is pending.
    const onA = wait(a.signal);
    a.abort();
    await assert.rejects(onA, cancelled);
    let settled = false;
    void onB.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'aborting the first signal left the wait on the second');
    b.abort();
    await assert.rejects(onB, cancelled);
    n.release();
  });

  it('one signal gets one abort listener however many waits use it, and each callback can be removed', async () => {
    const ac = new AbortController();
    const called: number[] = [];
    const offs = Array.from({ length: 50 }, (_, i) => onAbort(ac.signal, () => called.push(i)));
    offs[3]();
    const sleeping = sleep(60_000, ac.signal);
    ac.abort();
    await assert.rejects(sleeping, (e: unknown) => (e as { code?: string }).code === 'ECANCELED');
    assert.equal(called.length, 49);
    assert.ok(!called.includes(3));
  });
});
