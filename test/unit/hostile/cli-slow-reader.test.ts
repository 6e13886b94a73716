// `socket-lab run x.sock --json --verbose | less`: a reader that stops reading. Node buffers a
// pipe's writes in memory without bound; the run waits for the reader instead, as a program
// blocked in write(2) would, and stops with a clear error when output no step waits for (a
// peer's traffic) piles up past its limit.
import { strict as assert } from 'node:assert';
import { CLI, freePort, start, startPeer, tempSock } from '../helpers';

describe('hostile: the reader of stdout stops reading (| less)', function () {
  this.timeout(60_000);

  it("pauses the run's steps while the reader is behind, and loses nothing once it reads again", async () => {
    const { peer: sink, port } = await startPeer('udp_sink.py', []);
    const rounds = 20_000;
    const f = await tempSock(['### a datagram and two events a round', 'connect udp 127.0.0.1:{{port}}', `repeat ${rounds}`, `send "${'x'.repeat(64)}"`, 'end', ''].join('\n'));
    try {
      const run = start(process.execPath, [CLI, 'run', f.file, '--json', '--verbose', '--var', `port=${port}`], { holdStdout: true, timeoutMs: 60_000 });
      // The sink says "got N" once 200 ms pass without a datagram: the run has paused (or ended).
      const first = Number((await sink.waitFor(/got (\d+) /, 20_000))[1]);
      assert.ok(first < rounds, `the run sent all ${first} datagrams with nobody reading its output`);
      // Still paused a second later: no datagram arrived since (the sink would say "got" again).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(sink.stdout().match(/got \d+ /g)?.length, 1, `the run went on: ${sink.stdout()}`);
      run.readStdout();
      const r = await run.exited;
      assert.equal(r.code, 0, r.stderr);
      const sends = r.stdout.split('\n').filter((line) => line.startsWith('{"type":"step"') && line.includes('"verb":"send"'));
      assert.equal(sends.length, rounds, 'every round has its step event');
      assert.match(r.stdout, /\{"type":"summary","passed":1,"failed":0,"errors":0,/);
      await sink.waitFor(new RegExp(`got ${rounds} `), 10_000);
    } finally {
      await f.remove();
      sink.child.kill();
    }
  });

  it("stops the run with a clear error when a peer's traffic, which no step waits for, piles up 64 MiB behind the reader", async () => {
    const port = await freePort();
    const f = await tempSock(['### an echo that reports every chunk with --json', 'listen tcp 127.0.0.1:{{port}} as l', 'echo', ''].join('\n'));
    // A client that sends 256 MiB and reads the echo back as it comes (a thread each way).
    const client = start('python3', ['-c', [
      'import socket, sys, threading, time',
      'for _ in range(100):',
      '    try:',
      `        s = socket.create_connection(('127.0.0.1', ${port})); break`,
      '    except OSError: time.sleep(0.05)',
      'def drain():',
      '    while s.recv(1 << 20): pass',
      'threading.Thread(target=drain, daemon=True).start()',
      'chunk = b"z" * (1 << 20)',
      'try:',
      '    for _ in range(256): s.sendall(chunk)',
      'except OSError as e: print("send ended:", e, flush=True)',
    ].join('\n')], { timeoutMs: 60_000 });
    try {
      const run = start(process.execPath, [CLI, 'run', f.file, '--json', '--serve', '--for', '50s', '--var', `port=${port}`], { holdStdout: true, timeoutMs: 60_000 });
      // Nobody reads until the run has said it stopped.
      await run.waitFor(/fell 64 MiB behind/, 40_000);
      run.readStdout();
      const r = await run.exited;
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /the reader of the output fell 64 MiB behind, so the run was stopped/);
      // What was written before the stop is all there: the listener's events, then the echo's.
      assert.match(r.stdout, /^\{"type":"block"/);
      await client.exited;
    } finally {
      await f.remove();
    }
  });
});
