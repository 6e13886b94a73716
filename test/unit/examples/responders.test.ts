// Responders (spec §7.9) against real clients this project did not write: examples/mock-redis.sock
// answers Debian's redis-cli, examples/mock-http.sock answers curl over one kept-alive connection,
// a UDP rule answers Python's sendto, and faults (a drip, a reset mid-reply) reach the Python
// tutorial client. Each mock takes its port as --var port=N and runs with --serve.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { CLI, freePort, PEERS, run, runSock, start, type Running } from '../helpers';
import { verifyExport } from '../export/verify';

/** Serves `file` with `--serve --for`, on a free port; resolves once it listens. */
async function serve(file: string, forS = 8): Promise<{ port: number; mock: Running }> {
  const port = await freePort();
  const mock = start(process.execPath, [CLI, 'run', file, '--var', `port=${port}`, '--serve', '--for', `${forS}s`]);
  await mock.waitFor(/serving: listeners stay open/);
  return { port, mock };
}

describe('responders against real clients', function () {
  this.timeout(60_000);

  it('examples/mock-redis.sock: redis-cli gets PONG, stores a value and reads it back, and sees the error for anything else', async () => {
    const { port, mock } = await serve('examples/mock-redis.sock');
    const cli = (...args: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
    try {
      assert.equal((await cli('PING')).stdout, 'PONG\n');
      assert.equal((await cli('SET', 'greeting', 'hello from redis-cli')).stdout, 'OK\n');
      assert.equal((await cli('GET', 'greeting')).stdout, 'hello from redis-cli\n', 'the value SET stored, its length computed');
      const unknown = await cli('DEL', 'greeting');
      assert.match(unknown.stdout + unknown.stderr, /ERR unknown command: this mock knows PING, SET and GET/);
    } finally {
      mock.child.kill('SIGTERM');
    }
    const done = await mock.exited;
    assert.match(done.stdout, /• \[redis c\d+\] on \/\^\\\*3[^\n]*\n\s+key = "greeting", stored = "hello from redis-cli"/);
    assert.match(done.stdout, /• \[redis c\d+\] on other\s+no other rule took it/);
  });

  it('examples/mock-http.sock: curl gets / and /health over one connection, and a 404 that names what it asked for', async () => {
    const { port, mock } = await serve('examples/mock-http.sock');
    try {
      const r = await run('curl', ['-sS', '--max-time', '10', '-w', '\n[%{http_code} %{num_connects}]\n', `http://127.0.0.1:${port}/`, `http://127.0.0.1:${port}/health`, `http://127.0.0.1:${port}/missing`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Hello from the Socket Lab mock\n\n[200 1]\n{"status":"ok"}\n[200 0]\nno GET /missing here\n\n[404 0]\n', 'one connect, then the same connection kept alive');
      const head = await run('curl', ['-sS', '-I', '--max-time', '10', `http://127.0.0.1:${port}/health`]);
      assert.match(head.stdout, /^HTTP\/1\.1 404 Not Found\r\n/, 'HEAD is not a GET the mock knows');
    } finally {
      mock.child.kill('SIGTERM');
    }
    await mock.exited;
  });

  it('UDP: a rule answers each datagram’s sender, a regex group in the reply (Python sendto/recvfrom)', async () => {
    const said: string[] = [];
    const r = await runSock('### udp mock\nlisten udp 127.0.0.1:0 as u\non /^hello (?P<name>\\w+)/\n  send "hi {{name}}"\nend\non other\n  send "?"\nend\n', {
      during: async (events) => {
        const listening = events.find((e) => e.type === 'listening');
        const port = listening?.type === 'listening' ? listening.local.split(':')[1] : '0';
        for (const message of ['hello lab', 'what']) said.push((await run('python3', [join(PEERS, 'udp.py'), 'send', port, message])).stdout);
      },
    });
    assert.deepEqual(said, ["b'hi lab'\n", "b'?'\n"]);
    assert.equal(r.summary.errors, 0, JSON.stringify(r.steps.filter((x) => x.status === 'error')));
  });

  it('faults reach the Python tutorial client: a drip arrives over time, close-after cuts the reply with a FIN, reset-after with a RST, partial leaves the rest out, delay waits', async () => {
    /** Runs a listener whose rule answers "GET" with `reply` under `faults`; client.py sends GET, half-closes and prints what came. */
    const answer = async (faults: string, reply = 'HTTP/1.0 200 OK\\r\\n\\r\\nhello'): Promise<{ seen: { code: number | null; stdout: string; stderr: string }; ms: number; steps: string[] }> => {
      let seen = { code: 0 as number | null, stdout: '', stderr: '' };
      let ms = 0;
      const r = await runSock(`### faulty\nlisten tcp 127.0.0.1:0 as m\n${faults}\non "GET"\n  send "${reply}"\n  close\nend\n`, {
        during: async (events) => {
          const listening = events.find((e) => e.type === 'listening');
          const port = listening?.type === 'listening' ? listening.local.split(':')[1] : '0';
          const t0 = performance.now();
          seen = await run('python3', [join(PEERS, 'client.py'), port, '127.0.0.1', 'GET']);
          ms = performance.now() - t0;
        },
      });
      return { seen, ms, steps: r.steps.filter((x) => x.verb === 'send' || x.verb === 'fault').map((x) => x.detail ?? '') };
    };
    const drip = await answer('fault drip 4 every 150ms');
    assert.equal(drip.seen.stdout, "b'HTTP/1.0 200 OK\\r\\n\\r\\nhello'\n");
    // Six pieces of 4 bytes, the first at once: five gaps of 150 ms.
    assert.ok(drip.ms >= 750, `24 bytes, 4 every 150 ms, took ${Math.round(drip.ms)} ms`);
    assert.match(drip.steps.at(-1) ?? '', /^24 bytes; dripped 4 at a time every 150 ms$/);

    const cut = await answer('fault close-after 8');
    assert.equal(cut.seen.stdout, "b'HTTP/1.0'\n", 'the reply stops after 8 bytes, then the FIN');
    assert.match(cut.steps.at(-1) ?? '', /^8 bytes; then closed \(fault close-after\)$/);

    const reset = await answer('fault reset-after 8');
    assert.notEqual(reset.seen.code, 0);
    // The RST ends the client's connection: at its next recv (ConnectionResetError), or, when it
    // comes before the client's own shutdown on a busy machine, at that shutdown (ENOTCONN).
    assert.match(reset.seen.stderr, /ConnectionResetError: \[Errno 104\]|OSError: \[Errno 107\] Transport endpoint is not connected/);

    const partial = await answer('fault partial 12');
    assert.equal(partial.seen.stdout, "b'HTTP/1.0 200'\n");

    const delayed = await answer('fault delay 400ms', 'late');
    assert.equal(delayed.seen.stdout, "b'late'\n");
    assert.ok(delayed.ms >= 400, `${Math.round(delayed.ms)} ms`);
  });

  it('fault drop on UDP: the datagram is answered with nothing; the next datagram, a session of its own, is answered', async () => {
    const r = await runSock('### udp\nlisten udp 127.0.0.1:0 as u\non "first"\n  fault drop\n  send "never"\nend\non other\n  send "answered"\nend\n\n### client\nconnect udp {{u}}\nsend "first"\nrecv timeout 300ms\nexpect error ETIMEDOUT\nsend "second"\nrecv timeout 2s\nexpect "answered"\n');
    assert.deepEqual([r.summary.passed, r.summary.failed], [2, 0], JSON.stringify(r.steps.filter((x) => x.status !== 'ok' && x.status !== 'pass')));
    assert.ok(r.steps.some((x) => x.verb === 'send' && /^5 bytes not sent \(fault drop\)$/.test(x.detail ?? '')));
  });

  it('exports mock-redis.sock and mock-http.sock to Python and Node servers that answer redis-cli and curl byte for byte as the mocks do', async () => {
    const redis = async (vars: Record<string, string>): Promise<void> => {
      const cli = (...args: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', vars.port, ...args]);
      assert.equal((await cli('PING')).stdout, 'PONG\n');
      assert.equal((await cli('SET', 'greeting', 'hello from redis-cli')).stdout, 'OK\n');
      assert.equal((await cli('GET', 'greeting')).stdout, 'hello from redis-cli\n');
      await cli('DEL', 'greeting');
    };
    // One port for the three runs (each ends before the next): curl's Host header names it.
    const port = String(await freePort());
    await verifyExport({ file: 'examples/mock-redis.sock', vars: async () => ({ port }), serve: { drive: redis, seconds: 4 } });
    const curl = async (vars: Record<string, string>): Promise<void> => {
      const base = `http://127.0.0.1:${vars.port}`;
      const r = await run('curl', ['-sS', '--max-time', '10', `${base}/`, `${base}/health`, `${base}/missing`]);
      assert.equal(r.code, 0, r.stderr);
    };
    await verifyExport({ file: 'examples/mock-http.sock', vars: async () => ({ port }), serve: { drive: curl, seconds: 4 } });
  });
});
