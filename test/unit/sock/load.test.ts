/**
 * Load blocks (spec §8.15) and rates (§8.10): parsed, printed back, and run against peers this
 * project did not write: a Python threaded echo server, socat, and a Python UDP sink that counts
 * what arrives.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { parseSock } from '../../../src/sock/parser';
import { printSock } from '../../../src/sock/printer';
import type { StepEvent } from '../../../src/sock/runEvents';
import { cli, freePort, startPeer, tempSock } from '../helpers';

function jsonEvents(stdout: string): StepEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as StepEvent)
    .filter((e) => e.type === 'step');
}

function errorsOf(text: string): string[] {
  return parseSock(text).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
}

describe('load blocks: the language', () => {
  it('reads load N clients with ramp, rate and for, and prints it back as written', () => {
    const text = '### load\nconnect tcp 127.0.0.1:7\nload 50 clients ramp 1s rate 200/s for 10s\nsend "x"\nrecv\nexpect p99 < 20ms\nexpect connect median <= 5ms\nexpect tls p90 < 1s\nexpect errors < 3\n';
    const file = parseSock(text);
    assert.deepEqual(errorsOf(text), []);
    const b = file.blocks[0];
    assert.deepEqual(b.load && { clients: b.load.clients, rampMs: b.load.rampMs, rate: b.load.rate, forMs: b.load.forMs }, { clients: 50, rampMs: 1000, rate: 200, forMs: 10_000 });
    const matchers = b.steps.filter((s) => s.kind === 'expect').map((s) => (s.kind === 'expect' ? s.matcher : undefined));
    assert.deepEqual(matchers, [
      { kind: 'latency', metric: 'round-trip', stat: 'p99', op: '<', ms: 20 },
      { kind: 'latency', metric: 'connect', stat: 'median', op: '<=', ms: 5 },
      { kind: 'latency', metric: 'tls', stat: 'p90', op: '<', ms: 1000 },
      { kind: 'errors', op: '<', count: 3 },
    ]);
    const printed = printSock(file);
    assert.match(printed, /^load 50 clients ramp 1s rate 200\/s for 10s$/m);
    assert.deepEqual(parseSock(printed).blocks[0].load?.rate, 200);
    assert.deepEqual(parseSock(printed).blocks[0].steps.map((s) => s.source), b.steps.map((s) => s.source));
  });

  it('says what is wrong with a load line, and with a load expectation outside a load block', () => {
    assert.deepEqual(errorsOf('### l\nlisten tcp 0\nload 5 clients\n'), ['load runs a client block as many clients: put it in a block that starts with connect']);
    assert.deepEqual(errorsOf('### c\nconnect tcp 127.0.0.1:7\nload 5 clients rate 10/s\n'), ['rate starts sessions for a while: add for D, e.g. load 50 clients rate 200/s for 10s']);
    assert.match(errorsOf('### c\nconnect tcp 127.0.0.1:7\nload 0 clients\n')[0], /load takes a number of clients from 1 to 100000, not "0"/);
    assert.match(errorsOf('### c\nconnect tcp 127.0.0.1:7\nload 5 users\n')[0], /load N takes the word clients next/);
    assert.deepEqual(errorsOf('### c\nconnect tcp 127.0.0.1:7\nsend "x"\nexpect p99 < 20ms\n'), ['this expect checks a load as a whole: add a load line to the block, e.g. load 10 clients']);
    assert.deepEqual(errorsOf('### c\nconnect tls 127.0.0.1:7\nexpect tls verified\n'), [], 'expect tls FACT is still the TLS fact');
    assert.deepEqual(errorsOf('### c\nconnect tcp 127.0.0.1:7 as kept keep\nload 5 clients\n'), ['a load opens and closes a connection per session: it keeps none (drop keep, or the load line)']);
  });

  it('takes load expectations only outside repeat and if: inside, they read as checked each round, and were never checked', () => {
    const load = '### l\nconnect tcp 127.0.0.1:7\nload 5 clients\n';
    assert.deepEqual(errorsOf(`${load}repeat 3\nsend "x"\nexpect errors 0\nend\n`), ['this expect checks a load as a whole, once, when it ends: write it outside repeat']);
    assert.deepEqual(errorsOf(`${load}send "x"\nrecv\nif /x/\nrepeat 2\nsend "y"\nend\nexpect round-trip p99 < 20ms\nend\n`), ['this expect checks a load as a whole, once, when it ends: write it outside if']);
    assert.deepEqual(errorsOf(`${load}repeat 3\nsend "x"\nrecv\nexpect "x"\nend\nexpect p99 < 20ms\nexpect errors 0\n`), [], 'after the repeat, and an expect on the reply inside it');
  });

  it('reads repeat … rate in rounds or bytes a second, and prints it back as written', () => {
    const file = parseSock('### u\nconnect udp 127.0.0.1:9\nrepeat 10 rate 500/s\nsend "x"\nend\nrepeat 10 rate 1.5MiB/s\nsend "x"\nend\n');
    assert.deepEqual(file.blocks[0].steps.map((s) => (s.kind === 'repeat' ? s.rate : undefined)), [
      { per: 'round', perSecond: 500, text: '500/s' },
      { per: 'byte', perSecond: 1.5 * 1024 * 1024, text: '1.5MiB/s' },
    ]);
    assert.match(printSock(file), /^repeat 10 rate 500\/s$/m);
    assert.match(printSock(file), /^repeat 10 rate 1\.5MiB\/s$/m);
    assert.match(errorsOf('### u\nconnect udp 127.0.0.1:9\nrepeat 10 rate 5 per second\nend\n')[0], /rate takes rounds a second \(rate 500\/s\) or bytes a second \(rate 2MB\/s, 64KiB\/s\); not "5"/);
    assert.match(errorsOf('### u\nconnect udp 127.0.0.1:9\nrepeat 10 every 1ms rate 5/s\nend\n')[0], /unexpected "rate"/);
    assert.match(errorsOf('### c\nconnect tcp 127.0.0.1:9\nload 5 clients rate 2MB/s for 1s\n')[0], /rate takes sessions a second, e.g. rate 500\/s; not "2MB\/s"/);
  });

  it('reads durations in microseconds for rates past 1,000 a second, and prints them back', () => {
    const file = parseSock('### u\nconnect udp 127.0.0.1:9\nrepeat 10 every 20us\nsend "x"\nend\n');
    const r = file.blocks[0].steps[0];
    assert.equal(r.kind === 'repeat' ? r.everyMs : undefined, 0.02);
    assert.match(printSock(file), /^repeat 10 every 20us$/m);
  });
});

describe('load blocks: against real peers', function () {
  this.timeout(60_000);

  it('runs 20 virtual clients of 5 rounds against a Python threaded echo: every session passes, each its own connection, and the report has every figure', async () => {
    const { peer, port } = await startPeer('echo_server.py', []);
    const f = await tempSock('### load\nconnect tcp 127.0.0.1:{{port}}\nload 20 clients\nrepeat 5\nsend "PING\\n"\nrecv line\nexpect "PING"\nend\nexpect p99 < 5s\nexpect errors 0\n');
    const json = await cli(['run', f.file, '--json', '--var', `port=${port}`]);
    const text = await cli(['run', f.file, '--var', `port=${port}`]);
    await f.remove();
    assert.equal(json.code, 0, json.stdout + json.stderr);
    await peer.waitFor(/served 40\n/);
    peer.child.kill();
    assert.doesNotMatch(peer.stdout(), /served 41/, 'two runs of 20 clients: 40 connections');
    const events = jsonEvents(json.stdout);
    const load = events.find((e) => e.verb === 'load')?.load;
    assert.ok(load, json.stdout);
    assert.deepEqual({ sessions: load.sessions, passed: load.passed, failed: load.failed, errors: load.errors, bytesOut: load.bytesOut, bytesIn: load.bytesIn }, { sessions: 20, passed: 20, failed: 0, errors: {}, bytesOut: 500, bytesIn: 500 });
    assert.deepEqual(Object.fromEntries(Object.entries(load.latency).map(([k, v]) => [k, v?.count])), { connect: 20, 'first-byte': 20, 'round-trip': 100, session: 20 });
    const rt = load.latency['round-trip'];
    assert.ok(rt && rt.minMs <= rt.medianMs && rt.medianMs <= rt.p90Ms && rt.p90Ms <= rt.p99Ms && rt.p99Ms <= rt.maxMs, JSON.stringify(rt));
    assert.deepEqual(events.filter((e) => e.verb === 'expect' && e.line >= 8).map((e) => e.status), ['pass', 'pass']);
    // The capture is sampled: the traffic of the first 10 sessions reaches the run's bus, not the other 10's.
    const opened = json.stdout.split('\n').filter((l) => l.startsWith('{"type":"traffic"')).map((l) => JSON.parse(l) as { event: { type: string; id: string } }).filter((t) => t.event.type === 'open');
    assert.equal(opened.length, 10, 'connections whose traffic was captured');
    assert.equal(load.captured, 10);
    assert.match(text.stdout, /traffic of 10 of 20 sessions captured \(the first 10, then 1 in 100\)/);
    assert.equal(events.filter((e) => e.verb === 'send').length, 3, "the first session's first 3 rounds, as a plain block's repeat reports them; the other sessions report none");
    assert.match(text.stdout, /≋ load 20 clients +20 sessions in [\d.]+ m?s: [\d.]+\/s; [\d.]+ round trips\/s; round trip median [\d.]+ m?s, p99 [\d.]+ m?s; no errors/);
    assert.match(text.stdout, /^ +count +min +median +p90 +p99 +max$/m);
    assert.match(text.stdout, /^ +round-trip +100 /m);
    assert.match(text.stdout, /✓ expect errors 0 +0 of 20 sessions failed or erred/);
    assert.match(text.stdout, /\n2 passed, 0 failed in/);
  });

  it('counts refused sessions by code: they fail the load unless an expect errors allows them, and only the first 10 are listed', async () => {
    const port = await freePort();
    const f = await tempSock(`### refused\nconnect tcp 127.0.0.1:${port}\nload 15 clients\nsend "x"\n\n### allowed\nconnect tcp 127.0.0.1:${port}\nload 3 clients\nsend "x"\nexpect errors <= 3\n`);
    const r = await cli(['run', f.file]);
    const j = await cli(['run', f.file, '--json']);
    await f.remove();
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stdout.match(/! connect tcp 127\.0\.0\.1:\d+ +connect tcp 127\.0\.0\.1:\d+: connection refused/g)?.length, 10 + 3, r.stdout);
    assert.match(r.stdout, /✗ load 15 clients +15 sessions in .*errors ECONNREFUSED 15; .*15 of 15 sessions failed or erred \(expect errors < N allows some\)/);
    assert.match(r.stdout, /✓ expect errors <= 3 +3 of 3 sessions failed or erred/);
    assert.match(r.stdout, /\(expect errors < N allows some\) {2}\(\d+(\.\d)? ms\)\n\n### 2 · allowed/, 'a load that measured nothing prints no table, and no empty line');
    const loads = jsonEvents(j.stdout).filter((e) => e.verb === 'load');
    assert.deepEqual(loads.map((e) => [e.status, e.load?.errors, e.load?.captured]), [['fail', { ECONNREFUSED: 15 }, 10], ['ok', { ECONNREFUSED: 3 }, 3]]);
  });

  it('fails a latency expectation that cannot hold, with expected and actual', async () => {
    const { peer, port } = await startPeer('echo_server.py', []);
    const f = await tempSock('### load\nconnect tcp 127.0.0.1:{{port}}\nload 3 clients\nsend "a\\n"\nrecv line\nexpect round-trip max < 0ms\n');
    const j = await cli(['run', f.file, '--json', '--var', `port=${port}`]);
    await f.remove();
    peer.child.kill();
    assert.equal(j.code, 1, j.stdout + j.stderr);
    const failed = jsonEvents(j.stdout).find((e) => e.status === 'fail');
    assert.equal(failed?.source, 'expect round-trip max < 0ms');
    assert.equal(failed?.compared?.expected, '< 0 ms');
    assert.match(failed?.compared?.actual ?? '', /^[\d.]+ ms$/);
  });

  it('starts sessions at a rate whatever the replies (open loop), against socat: 100/s for 500 ms is 50 sessions', async () => {
    const port = await freePort();
    const socat = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, 'PIPE'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const f = await tempSock(`### rate\nconnect tcp 127.0.0.1:${port}\nload 20 clients rate 100/s for 500ms\nsend "hi\\n"\nrecv line\n`);
      const j = await cli(['run', f.file, '--json']);
      await f.remove();
      assert.equal(j.code, 0, j.stdout + j.stderr);
      const load = jsonEvents(j.stdout).find((e) => e.verb === 'load')?.load;
      assert.ok(load && load.sessions + load.cut + load.dropped >= 45 && load.sessions + load.cut + load.dropped <= 51, JSON.stringify(load));
      assert.equal(load.errors && Object.keys(load.errors).length, 0);
    } finally {
      socat.kill();
    }
  });

  it('paces a repeat by the bytes it sends (rate 50KB/s of 1,000-byte datagrams is 50 a second), and every one reaches a Python sink', async () => {
    const { peer, port } = await startPeer('udp_sink.py', []);
    const f = await tempSock(`### bandwidth\nconnect udp 127.0.0.1:${port}\nrepeat 50 rate 50KB/s\nsend "${'x'.repeat(1000)}"\nend\n`);
    const r = await cli(['run', f.file, '--json']);
    await f.remove();
    const counted = await peer.waitFor(/^got (\d+) (\d+)$/m);
    peer.child.kill();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual([Number(counted[1]), Number(counted[2])], [50, 50_000]);
    // Round 50 may start only once the 49,000 bytes before it are due: 0.98 s at 50 KB/s.
    const repeat = jsonEvents(r.stdout).find((e) => e.verb === 'repeat');
    assert.ok(repeat && repeat.ms >= 975, `50 datagrams of 1,000 bytes at 50 KB/s took ${repeat?.ms} ms`);
  });

  it('sends datagrams at a rate past 1,000 a second (repeat … every 100us) and every one reaches a Python sink', async () => {
    const { peer, port } = await startPeer('udp_sink.py', []);
    const f = await tempSock(`### rate\nconnect udp 127.0.0.1:${port}\nrepeat 3000 every 100us\nsend "0123456789"\nend\n`);
    const r = await cli(['run', f.file, '--json']);
    await f.remove();
    const counted = await peer.waitFor(/^got (\d+) (\d+)$/m);
    peer.child.kill();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual([Number(counted[1]), Number(counted[2])], [3000, 30_000]);
    assert.equal(jsonEvents(r.stdout).find((e) => e.verb === 'repeat')?.repeat?.rounds, 3000);
  });
});

describe('load blocks in socket-lab test', function () {
  this.timeout(60_000);

  it('makes each load expectation a case of its own, after its block, in every report', async () => {
    const { peer, port } = await startPeer('echo_server.py', []);
    const f = await tempSock('### pings under load\nconnect tcp 127.0.0.1:{{port}}\nload 4 clients\nsend "PING\\n"\nrecv line\nexpect p99 < 10s\nexpect round-trip max < 0ms\n');
    const json = await cli(['test', f.file, '--reporter', 'json', '--var', `port=${port}`]);
    const junit = await cli(['test', f.file, '--reporter', 'junit', '--var', `port=${port}`]);
    peer.child.kill();
    await f.remove();
    assert.equal(json.code, 1, json.stdout + json.stderr);
    const doc = JSON.parse(json.stdout) as { files: { cases: { name: string; status: string; line: number; failures: { expected?: string }[] }[] }[] };
    assert.deepEqual(
      doc.files[0].cases.map((c) => [c.name, c.status, c.line]),
      [
        ['pings under load', 'passed', 0],
        ['pings under load: expect p99 < 10s', 'passed', 5],
        ['pings under load: expect round-trip max < 0ms', 'failed', 6],
      ],
    );
    assert.equal(doc.files[0].cases[2].failures[0].expected, '< 0 ms');
    assert.equal(junit.stdout.match(/<testcase /g)?.length, 3, junit.stdout);
    assert.match(junit.stdout, /<testcase [^>]*name="pings under load: expect round-trip max &lt; 0ms"[^>]*>\s*<failure/);
  });
});

describe('load sessions and variables', function () {
  this.timeout(60_000);

  it('gives each session variables of its own: a set in one is not seen by the others, nor after the load', async () => {
    const { peer, port } = await startPeer('echo_server.py', []);
    // Every session sets its own id, waits while the others set theirs, then checks the echo of its id.
    const f = await tempSock(`@id = before\n### load\nconnect tcp 127.0.0.1:${port}\nload 10 clients\nset id = {{$randomInt 1 1000000000}}\nsend "{{id}}\\n"\nwait 200ms\nrecv line\nexpect "{{id}}"\nexpect errors 0\n\n### after\nset check = {{id}}\nhostname\n`);
    const r = await cli(['run', f.file, '--json']);
    await f.remove();
    peer.child.kill();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const after = jsonEvents(r.stdout).find((e) => e.block === 2 && e.verb === 'set');
    assert.match(after?.detail ?? '', /before/, 'the file variable is as it was before the load');
  });
});
