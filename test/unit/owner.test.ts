import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocketManager } from '../../src/net/manager';
import { SocketOwner } from '../../src/net/owner';
import { TrafficBus } from '../../src/net/traffic';
import { parseSock } from '../../src/sock/parser';
import { SockRun } from '../../src/sock/runner';
import type { RunEvent, StepEvent } from '../../src/sock/runEvents';
import { echoOf } from '../shared/echo';
import { until } from '../shared/until';

/** A run of `text` on `bus` that records its events. */
function sockRun(text: string, bus: TrafficBus): { run: SockRun; events: RunEvent[] } {
  const events: RunEvent[] = [];
  return { run: new SockRun(parseSock(text), { baseDir: tmpdir(), bus, onEvent: (e) => events.push(e) }), events };
}

function listeningOf(events: readonly RunEvent[], block: number): { id: string; local: string } {
  const e = events.find((x): x is Extract<RunEvent, { type: 'listening' }> => x.type === 'listening' && x.block === block);
  assert.ok(e, `block ${block} is listening`);
  return { id: e.id, local: e.local };
}

const ECHO = '### echo\nlisten tcp 127.0.0.1:0 as echo\necho\n\n### client\nconnect tcp {{echo}}\nrecv timeout 20s\n';

describe('one owner of every socket (the palette manager and .sock runs)', () => {
  const bus = new TrafficBus();
  let owner: SocketOwner;
  let manager: SocketManager;

  beforeEach(() => {
    owner = new SocketOwner();
    manager = new SocketManager(bus, () => ({ timeoutMs: 2000, maxConnections: 10 }));
    owner.register(manager);
  });

  afterEach(async () => {
    await owner.dispose();
    await manager.dispose();
  });

  it('closeAll stops palette and file listeners alike, and removes the file listener’s Unix socket file', async () => {
    const path = join(tmpdir(), `socket-lab-owner-${process.pid}.socket`);
    const { run, events } = sockRun(`${ECHO}\n### unix\nlisten unix ${path}\necho\n`, bus);
    owner.register({ closeSocket: (id) => run.closeSocket(id), closeAll: async () => void (await run.stop(0)) });
    await run.runBlocks([1, 3]);
    const palette = await manager.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 });
    const port = Number(listeningOf(events, 1).local.split(':').pop());
    assert.equal(await echoOf(port, 'hi'), 'hi');
    assert.ok(existsSync(path));
    await owner.closeAll();
    assert.equal(await echoOf(port, 'hi'), 'ECONNREFUSED');
    assert.equal(existsSync(path), false);
    assert.equal(manager.has(palette), false);
  });

  it('close(id) reaches a file listener and a file run’s accepted connection; a listener that stopped offers Start', async () => {
    const { run, events } = sockRun(ECHO, bus);
    owner.register({ closeSocket: (id) => run.closeSocket(id), closeAll: async () => void (await run.stop(0)) });
    await run.runBlocks([1]);
    const { id, local } = listeningOf(events, 1);
    const port = Number(local.split(':').pop());
    const peer = connect({ host: '127.0.0.1', port });
    peer.on('error', () => undefined);
    const closed = new Promise<void>((r) => peer.on('close', () => r()));
    const accepted = await until('the accepted connection', () => events.find((e) => e.type === 'traffic' && e.event.type === 'open' && e.event.listener === id));
    assert.ok(accepted.type === 'traffic');
    const t0 = Date.now();
    assert.equal(await owner.close(accepted.event.id), true);
    await closed;
    assert.ok(Date.now() - t0 < 2000, `the peer saw the close at once, not when the echo step timed out (${Date.now() - t0} ms)`);
    assert.equal(run.isListening(1), true, 'closing a connection leaves its listener');
    assert.equal(await owner.close(id), true);
    assert.equal(run.isListening(1), false);
    assert.equal(await echoOf(port, 'x'), 'ECONNREFUSED');
    assert.equal(await owner.close('nobody'), false);
    await run.stop(0);
  });

  it('a runBlocks signal cancels those blocks only: the waiting recv ends, the listener keeps answering', async () => {
    const { run, events } = sockRun(ECHO, bus);
    await run.runBlocks([1]);
    const port = Number(listeningOf(events, 1).local.split(':').pop());
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 200);
    const t0 = Date.now();
    await run.runBlocks([2], undefined, cancel.signal);
    assert.ok(Date.now() - t0 < 5000, 'not at the 20 s timeout');
    const recv = events.find((e): e is StepEvent => e.type === 'step' && e.block === 2 && e.verb === 'recv');
    assert.equal(recv?.code, 'ECANCELED');
    assert.match(recv?.detail ?? '', /\(cancelled\)$/);
    assert.equal(run.isListening(1), true);
    assert.equal(await echoOf(port, 'still here'), 'still here');
    const summary = await run.stop(0);
    assert.equal(summary.errors, 0, 'a cancelled step is not an error');
  });
});
