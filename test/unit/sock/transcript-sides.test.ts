// The transcript tells the truth in order: every step line says whose it is (a listener's
// session or the block's own connection), a long repeat shows its first rounds and one line of
// totals, and a block that checks nothing passes by running cleanly.
import { strict as assert } from 'node:assert';
import type { BlockEndEvent, RunEvent, StepEvent } from '../../../src/sock/runEvents';
import { FULL_ROUNDS } from '../../../src/sock/transcript';
import { cli, runSock, startPeer, tempSock } from '../helpers';

/** The JSON lines of a `--json` run, parsed (payloads stay JSON objects; these tests read none). */
function jsonEvents(stdout: string): RunEvent[] {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
}

describe('the transcript says whose each line is', function () {
  it('labels a client block\'s lines with its connection, and a listener\'s with its session, in the order they ran', async () => {
    const f = await tempSock('### server\nlisten tcp 127.0.0.1:0 as greeter\nsend "Thank you for connecting"\nclose\n\n### client\nconnect tcp {{greeter}}\nrecv 1024\nexpect "Thank you for connecting"\n');
    const r = await cli(['run', f.file]);
    const j = await cli(['run', f.file, '--json']);
    await f.remove();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const client = /⇄ \[(c\d+)\] connect tcp \{\{greeter\}\}\s+127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ \((c\d+)\)/.exec(r.stdout);
    assert.ok(client, r.stdout);
    assert.equal(client[1], client[2], 'the label is the connection the connect line opened');
    assert.match(r.stdout, new RegExp(`← \\[${client[1]}\\] recv 1024 +24 bytes`));
    assert.match(r.stdout, new RegExp(`✓ \\[${client[1]}\\] expect "Thank you for connecting"`));
    assert.match(r.stdout, /→ \[greeter c\d+\] send "Thank you for connecting"/, 'the server\'s send says it is the server\'s');
    const steps = jsonEvents(j.stdout).filter((e): e is StepEvent => e.type === 'step');
    const connect = steps.find((e) => e.verb === 'connect');
    assert.ok(connect?.connection && connect.detail?.endsWith(`(${connect.connection})`), JSON.stringify(connect));
    assert.deepEqual(steps.filter((e) => e.block === 2).map((e) => e.connection), [connect.connection, connect.connection, connect.connection]);
    assert.ok(steps.filter((e) => e.listener === 'greeter').every((e) => e.connection === undefined && e.session !== undefined), '--json keeps a session\'s fields as they were');
  });

  it('labels a client block\'s lines against a Python server', async () => {
    const { peer, port } = await startPeer('server.py', ['0']);
    const r = await runSock(`### tutorial client\nconnect tcp 127.0.0.1:${port}\nrecv 1024\nexpect "Thank you"\n`);
    await peer.exited;
    const id = /\((c\d+)\)$/.exec(r.steps[0].detail ?? '')?.[1];
    assert.ok(id, r.steps[0].detail);
    assert.deepEqual(r.steps.map((s) => s.connection), [id, id, id]);
  });
});

describe('a long repeat in the transcript', function () {
  it('shows 3 rounds in full, as the spec says', () => assert.equal(FULL_ROUNDS, 3));

  const echoAndRepeat = (rounds: number, extra = ''): string => `### echo\nlisten tcp 127.0.0.1:0 as echo\necho\n\n### pings\nconnect tcp {{echo}}\nrepeat ${rounds}\nsend "ping\\n"\nrecv line\n${extra}end\n`;

  it(`shows the first ${FULL_ROUNDS} rounds, then one line with the rounds, the bytes and the time per round; --verbose shows every round; --json sums up as the transcript does, and --json --verbose has every step`, async () => {
    const f = await tempSock(echoAndRepeat(10));
    const r = await cli(['run', f.file]);
    const v = await cli(['run', f.file, '--verbose']);
    const j = await cli(['run', f.file, '--json', '--verbose']);
    const short = await cli(['run', f.file, '--json']);
    await f.remove();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout.match(/→ \[c\d+\] send "ping\\n"/g)?.length ?? 0, FULL_ROUNDS, r.stdout);
    assert.equal(r.stdout.match(/← \[c\d+\] recv line/g)?.length ?? 0, FULL_ROUNDS, r.stdout);
    assert.match(r.stdout, /↻ \[c\d+\] repeat 10 +10 rounds, the first 3 shown; 50 bytes sent, 50 bytes received; per round min \d+(\.\d)? ms, median \d+(\.\d)? ms, max \d+(\.\d)? ms {2}\(/);
    assert.equal(v.stdout.match(/→ \[c\d+\] send "ping\\n"/g)?.length ?? 0, 10, v.stdout);
    assert.match(v.stdout, /↻ \[c\d+\] repeat 10 +10 rounds; 50 bytes sent, 50 bytes received; per round min/);
    const steps = jsonEvents(j.stdout).filter((e): e is StepEvent => e.type === 'step' && e.block === 2);
    assert.deepEqual(steps.filter((e) => e.verb === 'send').map((e) => e.round), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => [n]));
    const repeat = steps.find((e) => e.verb === 'repeat');
    assert.equal(repeat?.round, undefined, 'the repeat itself is in no round');
    const stats = repeat?.repeat;
    assert.ok(stats && stats.minMs <= stats.medianMs && stats.medianMs <= stats.maxMs, JSON.stringify(stats));
    assert.ok(stats && stats.medianMs <= stats.p99Ms && stats.p99Ms <= stats.maxMs, JSON.stringify(stats));
    assert.deepEqual({ ...stats, minMs: 0, medianMs: 0, p99Ms: 0, maxMs: 0 }, { rounds: 10, bytesOut: 50, bytesIn: 50, minMs: 0, medianMs: 0, p99Ms: 0, maxMs: 0 });
    const summed = jsonEvents(short.stdout);
    const shortSteps = summed.filter((e): e is StepEvent => e.type === 'step' && e.block === 2);
    assert.deepEqual(shortSteps.filter((e) => e.verb === 'send').map((e) => e.round), [[1], [2], [3]], 'the first 3 rounds, step by step');
    assert.deepEqual(shortSteps.find((e) => e.verb === 'repeat')?.repeat?.rounds, 10, 'then the repeat sums up all 10');
    const fold = summed.find((e) => e.type === 'fold');
    assert.deepEqual(fold && { ...fold, connection: fold.connection?.replace(/\d+/, 'N') }, { type: 'fold', block: 2, line: 6, column: 0, connection: 'cN' });
  });

  it('--json leaves out the traffic data of the rounds it sums up, as it leaves out their steps; --verbose keeps every one', async () => {
    const f = await tempSock(echoAndRepeat(10));
    const short = await cli(['run', f.file, '--json']);
    const all = await cli(['run', f.file, '--json', '--verbose']);
    await f.remove();
    const data = (out: string): number => jsonEvents(out).filter((e) => e.type === 'traffic' && e.event.type === 'data').length;
    // Each round: the client's send and recv, the listener's recv and echo.
    assert.equal(data(all.stdout), 40, all.stdout);
    assert.equal(data(short.stdout), 12, short.stdout);
  });

  it('still reports a failure in a round past the first 3, with its round, and stops there', async () => {
    const f = await tempSock('### four oks, then bad\nlisten tcp 127.0.0.1:0 as srv\nrepeat 4\nsend "ok\\n"\nend\nsend "bad\\n"\n\n### reader\nconnect tcp {{srv}}\nrepeat 10\nrecv line\nexpect "ok"\nend\n');
    const j = await cli(['run', f.file, '--json']);
    const t = await cli(['run', f.file]);
    await f.remove();
    const client = jsonEvents(j.stdout).filter((e): e is StepEvent => e.type === 'step' && e.block === 2);
    assert.deepEqual(client.filter((e) => e.status === 'fail').map((e) => e.round), [[5]], j.stdout);
    assert.equal(client.filter((e) => e.verb === 'recv').length, 3, 'the recv of the first 3 rounds; those of rounds 4 and 5 went as they should');
    assert.match(t.stdout, /✗ \[c\d+\] expect "ok" +round 5: /);
    assert.equal(t.code, 1);
  });

  it('counts the steps of listener sessions during the hidden rounds, as a UDP echo answers each datagram; --verbose shows them', async () => {
    const f = await tempSock('### UDP echo\nlisten udp 127.0.0.1:0 as udpecho\necho\n\n### pings\nconnect udp {{udpecho}}\nrepeat 10\nsend "ping"\nrecv timeout 1s\nend\n');
    const r = await cli(['run', f.file]);
    const v = await cli(['run', f.file, '--verbose']);
    await f.remove();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const shown = r.stdout.match(/• \[udpecho [\d.:]+\] echo/g)?.length ?? 0;
    const counted = Number(/\n {2}… udpecho: (\d+) more steps of its sessions during the repeat, not shown\n/.exec(r.stdout)?.[1] ?? 0);
    assert.ok(counted > 0 && shown + counted === 10, r.stdout);
    assert.match(r.stdout, /↻ \[u\d+\] repeat 10 .*\n {2}… udpecho: /, 'the count follows the repeat\'s line');
    assert.equal(v.stdout.match(/• \[udpecho [\d.:]+\] echo/g)?.length ?? 0, 10, v.stdout);
  });

  it('hides an error that expect error checks in a hidden round, as it hides the rest of that round', async () => {
    const g = await tempSock('### echo\nlisten tcp 127.0.0.1:0 as echo\necho\n\n### pings\nconnect tcp {{echo}}\nrepeat 10\nsend "ping\\n"\nrecv line\nexpect "ping"\nrecv 1 timeout 10ms\nexpect error ETIMEDOUT\nend\n');
    const late = await cli(['run', g.file]);
    await g.remove();
    assert.equal(late.code, 0, late.stdout + late.stderr);
    assert.equal(late.stdout.match(/· \[c\d+\] recv 1 timeout 10ms/g)?.length ?? 0, FULL_ROUNDS, 'an expected error in a hidden round is hidden too');
  });

  it('names the round of a failure past the rounds shown', async () => {
    // The listener answers four rounds with pong, the fifth with nope.
    const f = await tempSock('### pong four times\nlisten tcp 127.0.0.1:0 as echo\nrepeat 4\nrecv line\nsend "pong\\n"\nend\nrecv line\nsend "nope\\n"\n\n### pings\nconnect tcp {{echo}}\nrepeat 10\nsend "ping\\n"\nrecv line\nexpect "pong"\nend\n');
    const r = await cli(['run', f.file]);
    await f.remove();
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /✗ \[c\d+\] expect "pong" +round 5: /, r.stdout);
    assert.doesNotMatch(r.stdout, /↻ \[c\d+\] repeat 10/);
  });
});

describe('a block that checks nothing', function () {
  it('counts one pass when its steps all succeed: a client against a Python server, a lookup; a listener\'s sessions do not', async () => {
    const { peer, port } = await startPeer('server.py', ['0']);
    const f = await tempSock(`### tutorial client, no expect\nconnect tcp 127.0.0.1:${port}\nrecv 1024\n\n### a lookup\nservice http tcp\n\n### a listener\nlisten tcp 127.0.0.1:0 as l\nrecv all\n\n### its client\nconnect tcp {{l}}\nsend "hi"\n`);
    const r = await cli(['run', f.file]);
    await peer.exited;
    await f.remove();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\n3 passed, 0 failed in \d+/, 'the two clients and the lookup; the listener session that read "hi" is not counted');
  });

  it('counts nothing when a step fails, and a block with an expect counts its expects only', async () => {
    const r = await runSock('### nothing listens on port 1\nconnect tcp 127.0.0.1:1\nsend "x"\n\n### a lookup with a check\nservice http tcp\nexpect "80"\nexpect /8/\n');
    assert.deepEqual({ ...r.summary, ms: 0 }, { type: 'summary', passed: 2, failed: 0, errors: 1, ms: 0 });
    const ends = r.events.filter((e): e is BlockEndEvent => e.type === 'block-end');
    assert.deepEqual(ends.map((e) => [e.status, e.unchecked]), [['error', true], ['pass', undefined]]);
  });
});
