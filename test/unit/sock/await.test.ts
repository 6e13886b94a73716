// await: a block waits for a listener's accepted connections or datagrams, or for a kept
// connection's bytes, bounded by its timeout; no wait, no polling.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { parseSock } from '../../../src/sock/parser';
import { printSock } from '../../../src/sock/printer';
import type { RunEvent, StepEvent } from '../../../src/sock/runEvents';
import { SockRun } from '../../../src/sock/runner';
import { ROOT, listenerPort, start, type Running } from '../helpers';

const PEERS = join(ROOT, 'test', 'peers');

/**
 * Runs `text`; once the listener `name` listens, `peers(port)` starts the peers (which the run
 * must wait for). Resolves with the step events when every block has run.
 */
async function runWithPeers(text: string, name: string, peers: (port: number) => Running[]): Promise<{ steps: StepEvent[]; exitCode: number }> {
  const parsed = parseSock(text);
  assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'error'), []);
  const events: RunEvent[] = [];
  let started: Running[] = [];
  const r = new SockRun(parsed, {
    baseDir: ROOT,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'listening' && e.name === name) started = peers(listenerPort(events, name));
    },
  });
  try {
    await r.run();
  } finally {
    await r.stop();
    for (const p of started) p.child.kill('SIGKILL');
  }
  return { steps: events.filter((e): e is StepEvent => e.type === 'step'), exitCode: r.exitCode };
}

function stepOf(steps: readonly StepEvent[], verb: string): StepEvent {
  const s = steps.find((x) => x.verb === verb);
  assert.ok(s, `no ${verb} step in ${JSON.stringify(steps.map((x) => x.source))}`);
  return s;
}

/** A Python client (test/peers/client.py) that connects after `delayMs`, sends `message`, and reads until the listener closes. */
function client(port: number, delayMs: number, message: string): Running {
  return start('python3', ['-c', `import time, runpy, sys; time.sleep(${delayMs / 1000}); sys.argv = ['client.py', '${port}', '127.0.0.1', '${message}']; runpy.run_path('${join(PEERS, 'client.py')}', run_name='__main__')`]);
}

describe('await', function () {
  this.timeout(20_000);

  it('waits until a listener has accepted N connections from Python clients, then goes on', async () => {
    const text = [
      '### greeter\nlisten tcp 127.0.0.1:0 as greeter\nrecv all\nsend "hello\\n"\nclose\n',
      '### both clients are in\nawait greeter accepted 2 timeout 5s\n',
    ].join('\n');
    const t0 = performance.now();
    const r = await runWithPeers(text, 'greeter', (port) => [client(port, 0, 'one'), client(port, 400, 'two')]);
    const waited = performance.now() - t0;
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps));
    const a = stepOf(r.steps, 'await');
    assert.equal(a.status, 'ok');
    assert.equal(a.detail, '2 connections accepted');
    // The second client connects 400 ms after the listener starts: the await waited for it.
    assert.ok(waited >= 400 && a.ms >= 300, `the await took ${a.ms} ms`);
  });

  it('counts the datagrams a UDP listener received', async () => {
    const text = [
      '### sink\nlisten udp 127.0.0.1:0 as sink\nrecv\nsend "ack"\n',
      '### three datagrams arrived\nawait sink datagram 3 timeout 5s\n',
    ].join('\n');
    const r = await runWithPeers(text, 'sink', (port) => [0, 150, 300].map((d) => start('python3', ['-c', `import time, runpy, sys; time.sleep(${d / 1000}); sys.argv = ['udp.py', 'send', '${port}', 'd${d}']; runpy.run_path('${join(PEERS, 'udp.py')}', run_name='__main__')`])));
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps));
    assert.equal(stepOf(r.steps, 'await').detail, '3 datagrams received');
  });

  it('waits for data on a kept connection, which a later use block then reads', async () => {
    const text = [
      '### slow server\nlisten tcp 127.0.0.1:0 as slow\nrecv line\nwait 300ms\nsend "late\\n"\n',
      '### a keeps its connection\nconnect tcp {{slow}} as a keep\nsend "hi\\n"\n',
      '### a has heard back\nawait a data timeout 3s\n',
      '### a reads it\nuse a\nrecv line timeout 100ms\nexpect "late\\n"\n',
    ].join('\n');
    const r = await runWithPeers(text, 'slow', () => []);
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps));
    const a = stepOf(r.steps, 'await');
    assert.equal(a.detail, '5 bytes received');
    assert.ok(a.ms >= 200, `the await took ${a.ms} ms`);
  });

  it('fails with ETIMEDOUT saying what it awaited and what arrived so far, and expect error can check it', async () => {
    const text = [
      '### greeter\nlisten tcp 127.0.0.1:0 as greeter\nrecv all\nclose\n',
      '### the one client is in\nawait greeter accepted timeout 5s\n',
      '### only one comes\nawait greeter accepted 2 timeout 300ms\nexpect error ETIMEDOUT /1 connection accepted so far/\n',
      '### never answered\nawait greeter accepted 3 timeout 50ms\n',
    ].join('\n');
    const r = await runWithPeers(text, 'greeter', (port) => [client(port, 0, 'one')]);
    const awaits = r.steps.filter((s) => s.verb === 'await');
    assert.equal(awaits[0].detail, '1 connection accepted');
    assert.equal(awaits[1].code, 'ETIMEDOUT');
    assert.equal(awaits[1].detail, 'await greeter accepted 2: timed out after 300 ms; 1 connection accepted so far, of 2');
    assert.equal(stepOf(r.steps, 'expect').status, 'pass');
    assert.equal(awaits[2].status, 'error');
    assert.equal(awaits[2].detail, 'await greeter accepted 3: timed out after 50 ms; 1 connection accepted so far, of 3');
    assert.equal(r.exitCode, 2);
  });

  it('a listener that is not running is ECLOSED, named', async () => {
    const parsed = parseSock('### greeter\nlisten tcp 127.0.0.1:0 as greeter\n\n### later\nawait greeter accepted\n');
    const events: RunEvent[] = [];
    const r = new SockRun(parsed, { baseDir: ROOT, onEvent: (e) => events.push(e) });
    await r.runBlocks([2]);
    await r.stop();
    const a = events.find((e): e is StepEvent => e.type === 'step' && e.verb === 'await');
    assert.equal(a?.code, 'ECLOSED');
    assert.match(a?.detail ?? '', /no listener named "greeter" is running/);
  });

  it('parses: the name is an earlier listener or kept connection, with the event its kind has; prints back', () => {
    const errors = (t: string): string[] => parseSock(t).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    const head = '### l\nlisten tcp 0 as greeter\n### u\nlisten udp 0 as sink\n### k\nconnect tcp 127.0.0.1:9 as a keep\n### c\nconnect tcp 127.0.0.1:9 as b\n### t\n';
    assert.deepEqual(errors(`@n = 2\n@t = 1s\n${head}await greeter accepted\nawait greeter accepted {{n}} timeout 2s\nawait sink datagram 2\nawait a data timeout {{t}}\n`), []);
    assert.deepEqual(errors(`${head}await nobody accepted\n`), ['no listener or kept connection named "nobody": an earlier block must say listen … as nobody, or connect … as nobody keep']);
    assert.deepEqual(errors(`${head}await sink accepted\n`), ['"sink" is a UDP listener: it receives datagrams; write await sink datagram']);
    assert.deepEqual(errors(`${head}await greeter data\n`), ['"greeter" is a stream listener: it accepts connections; write await greeter accepted']);
    assert.deepEqual(errors(`${head}await b data\n`), ['connection "b" closes at the end of its block: add keep to its connect line']);
    assert.deepEqual(errors(`${head}await greeter acepted\n`), ['unexpected "acepted" (did you mean "accepted"?)']);
    assert.deepEqual(errors(`${head}await greeter accepted 0\n`), ['await greeter accepted takes a count from 1 to 1000000 or timeout DURATION, not "0"']);
    assert.deepEqual(errors(`${head}await greeter accepted 2 timeout\n`).length, 1);
    // A listener of a later block is not known yet.
    assert.deepEqual(errors('### t\nawait later accepted\n### l\nlisten tcp 0 as later\n').length, 1);
    const file = parseSock(`${head}await greeter accepted 2 timeout 1s\nawait a data\n`);
    const printed = printSock(file);
    assert.match(printed, /^await greeter accepted 2 timeout 1s$/m);
    assert.match(printed, /^await a data$/m);
  });
});
