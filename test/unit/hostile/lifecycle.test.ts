// How a run ends: deep nesting is refused at parse time; a defect that escapes a block closes
// every socket and exits 2; 130 means a signal (SIGINT, SIGTERM, SIGHUP) and nothing else; a
// duration past Node's timer range is refused instead of firing after 1 ms.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Block, SockFile, Step } from '../../../src/sock/ast';
import { parseSock } from '../../../src/sock/parser';
import { SockRun } from '../../../src/sock/runner';
import type { RunEvent } from '../../../src/sock/runEvents';
import { CLI, cli, listenerPort, start, tempSock } from '../helpers';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

describe('hostile nesting and internal errors', function () {
  it('3,000 nested repeats are a parse error at the 17th, and nothing runs', async () => {
    const lines = ['### deep', 'listen tcp 127.0.0.1:0 as l', ...Array.from({ length: 3000 }, () => 'repeat 1'), 'recv', ...Array.from({ length: 3000 }, () => 'end')];
    const f = await tempSock(lines.join('\n') + '\n');
    const r = await cli(['run', f.file], { timeoutMs: 15_000 });
    await f.remove();
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /test\.sock:19:1: error: repeats nest at most 16 deep/);
    assert.equal(r.stderr.match(/error:/g)?.length, 1, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /Maximum call stack|internal error/);
  });

  it('a defect that escapes a block is reported as EINTERNAL, counted, and closes every listener at once', async () => {
    // The parser never makes a step without a range: one made by hand stands for any defect that
    // escapes the runner's step handling (the stack overflow deep nesting used to cause).
    const parsed = parseSock('### listener\nlisten tcp 127.0.0.1:0 as l\nrecv\n\n### client\naton 127.0.0.1\n\n### never\naton 127.0.0.2\n');
    const b = parsed.blocks[1];
    const broken = { ...b.steps[0], kind: 'aton', range: undefined } as unknown as Step;
    const client: Block = { index: b.index, title: b.title, range: b.range, steps: [broken], eol: b.eol, policy: b.policy, tls: b.tls, udp: b.udp };
    const file: SockFile = { ...parsed, blocks: [parsed.blocks[0], client, parsed.blocks[2]] };
    const events: RunEvent[] = [];
    const run = new SockRun(file, { baseDir: __dirname, onEvent: (e) => events.push(e) });
    await run.run();
    const port = listenerPort(events, 'l');
    assert.equal(await refused(port), true, 'the listener is closed as soon as the defect is reported, before stop()');
    const internal = events.find((e) => e.type === 'step' && e.code === 'EINTERNAL');
    assert.ok(internal && internal.type === 'step');
    assert.match(internal.detail ?? '', /^internal error: Cannot read properties of undefined \(reading 'start'\); every listener and connection of this run was closed$/);
    assert.equal(internal.block, 2);
    assert.ok(!events.some((e) => e.type === 'block' && e.block === 3), 'no block runs after the defect');
    assert.match(run.failedInternally?.message ?? '', /reading 'start'/);
    const summary = await run.stop();
    assert.equal(summary.errors, 1);
    assert.equal(run.exitCode, 2);
  });
});

describe('exit 130 is for signals only', function () {
  it('a listener session still waiting at the end of a plain run is cut as the run stops: exit 0, not 130', async () => {
    const f = await tempSock('### waits\nlisten tcp 127.0.0.1:0 as l\nrecv exactly 10 timeout 30s\n\n### keeps a connection\nconnect tcp {{l}} as k keep\nsend "four"\n');
    const r = await cli(['run', f.file], { timeoutMs: 15_000 });
    await f.remove();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /! \[l c\d+\] recv exactly 10 timeout 30s\s+.*\(the run was stopping\)/);
    assert.doesNotMatch(r.stderr, /interrupted/);
    assert.match(r.stdout, /^1 passed, 0 failed in \d+/m, 'the client block passed; the cut session is not counted');
  });

  it('--serve --for with a session still running ends 0, not 130', async () => {
    const f = await tempSock('### waits\nlisten tcp 127.0.0.1:0 as l\nrecv exactly 10 timeout 30s\n\n### keeps a connection\nconnect tcp {{l}} as k keep\nsend "four"\n');
    const r = await cli(['run', f.file, '--serve', '--for', '500ms'], { timeoutMs: 15_000 });
    await f.remove();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /interrupted/);
  });

  for (const signal of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) {
    it(`${signal} during a block stops the run: exit 130, the Unix socket file removed`, async () => {
      const f = await tempSock('### unix\nlisten unix lab.socket as u\nrecv\n\n### long\nwait 20s\n\n### never\naton 127.0.0.1\n');
      const p = start(process.execPath, [CLI, 'run', f.file], { timeoutMs: 15_000 });
      await p.waitFor(/wait 20s|listening on/);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(existsSync(join(f.dir, 'lab.socket')), true);
      p.child.kill(signal);
      const r = await p.exited;
      assert.equal(r.code, 130, r.stdout + r.stderr);
      assert.match(r.stderr, /socket-lab: interrupted before every block had run/);
      assert.doesNotMatch(r.stdout, /### 3/);
      assert.equal(existsSync(join(f.dir, 'lab.socket')), false, 'the socket file is removed');
      await f.remove();
    });
  }
});

describe('durations past 2^31-1 ms are refused, not fired after 1 ms', function () {
  for (const line of ['wait 40000m', 'recv timeout 40000m', 'repeat 2 every 40000m', 'idle-timeout 40000m']) {
    it(`${line} is a parse error at the duration`, () => {
      const header = line.startsWith('idle') ? 'listen tcp 127.0.0.1:0' : 'connect tcp 127.0.0.1:9';
      const text = `### x\n${header}\n${line}\n${line.startsWith('repeat') ? 'aton 127.0.0.1\nend\n' : ''}`;
      const d = parseSock(text).diagnostics.find((x) => x.severity === 'error');
      assert.equal(d?.message, '40000m is too long: a duration is at most 2147483647 ms (about 24.8 days, 35791m)');
      assert.equal(d?.range.start.line, 2);
      assert.equal(d?.range.start.column, line.indexOf('40000m'));
    });
  }

  it('35791m, just under the limit, is a duration', () => {
    assert.equal(parseSock('### x\nwait 35791m\n').diagnostics.length, 0);
  });

  for (const option of ['--for', '--timeout']) {
    it(`the CLI refuses ${option} 40000m as a usage error`, async () => {
      const r = await cli(['run', 'examples/tutorial.sock', '--serve', option, '40000m'], { timeoutMs: 15_000 });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`option '${option} <duration>' argument '40000m' is invalid\\. 40000m is too long: a duration is at most 2147483647 ms`));
      assert.equal(r.stdout, '');
    });
  }
});
