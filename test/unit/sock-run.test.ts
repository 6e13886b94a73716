import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSock } from '../../src/sock/parser';
import type { RunEvent, StepEvent } from '../../src/sock/runEvents';
import { SockRun } from '../../src/sock/runner';
import { until } from '../shared/until';
import { listenerPort, PEERS, runSock, start, startPeer, type SockResult } from './helpers';

function step(r: SockResult, source: string) {
  const s = r.steps.find((x) => x.source === source);
  assert.ok(s, `no step "${source}" in ${JSON.stringify(r.steps.map((x) => x.source))}`);
  return s;
}

describe('.sock runs against real peers', () => {
  it("Socket Lab's client receives the Python tutorial server's greeting", async () => {
    const { port, peer } = await startPeer('server.py', ['0']);
    const r = await runSock(`### client\nconnect tcp 127.0.0.1:${port}\nrecv 1024\nexpect "Thank you for connecting"\nclose\n`);
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps));
    assert.equal(step(r, 'recv 1024').payload?.toString(), 'Thank you for connecting');
    assert.equal(step(r, 'expect "Thank you for connecting"').status, 'pass');
    assert.match((await peer.exited).stdout, /Got connection from/);
  });

  it("the Python tutorial client receives the greeting of Socket Lab's listener", async () => {
    let clientOut = '';
    const r = await runSock('### server\nlisten tcp 127.0.0.1:0 as greeter\nsend "Thank you for connecting"\nclose\n', {
      during: async (events) => {
        const c = await start('python3', [join(PEERS, 'client.py'), String(listenerPort(events, 'greeter'))]).exited;
        clientOut = c.stdout.trim();
      },
    });
    assert.equal(clientOut, "b'Thank you for connecting'");
    assert.equal(r.exitCode, 0);
    assert.equal(step(r, 'send "Thank you for connecting"').session !== undefined, true, 'the listener step ran for the accepted connection');
  });

  it('sends GET / HTTP/1.0 to python3 -m http.server and reads the whole reply', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-http-'));
    await writeFile(join(dir, 'hello.txt'), 'hello from python http.server\n');
    const server = start('python3', ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '--directory', dir, '0']);
    try {
      const port = Number((await server.waitFor(/port (\d+)/))[1]);
      const r = await runSock(`### GET\nconnect tcp 127.0.0.1:${port}\neol crlf\nsend <<END\nGET /hello.txt HTTP/1.0\n\nEND\nrecv all\nexpect /^HTTP\\/1\\.0 200 OK/\nexpect "hello from python http.server"\n`);
      assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
      assert.equal(step(r, 'send <<END').payload?.toString(), 'GET /hello.txt HTTP/1.0\r\n\r\n');
      const reply = step(r, 'recv all').payload?.toString() ?? '';
      assert.ok(reply.endsWith('\r\n\r\nhello from python http.server\n'), reply);
      assert.match(reply, /Content-Length: 30\r\n/);
      await server.waitFor(/"GET \/hello\.txt HTTP\/1\.0" 200/);
    } finally {
      server.child.kill();
      await server.exited;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('UDP both ways: Socket Lab client with a Python echo peer, Python client with a Socket Lab echo listener', async () => {
    const { port, peer } = await startPeer('udp.py', ['echo', '0']);
    const r1 = await runSock(`### udp client\nconnect udp 127.0.0.1:${port}\nsend "sendto from Socket Lab"\nrecv\nexpect "sendto from Socket Lab"\n`);
    assert.equal(r1.exitCode, 0);
    await peer.exited;
    let reply = '';
    const r2 = await runSock('### udp echo\nlisten udp 127.0.0.1:0 as e\necho\n', {
      during: async (events) => {
        reply = (await start('python3', [join(PEERS, 'udp.py'), 'send', String(listenerPort(events, 'e')), 'from python']).exited).stdout.trim();
      },
    });
    assert.equal(reply, "b'from python'");
    assert.equal(r2.exitCode, 0);
    assert.equal(r2.steps.find((s) => s.verb === 'echo')?.detail, '11 bytes echoed');
  });

  it('Unix domain: a Python AF_UNIX client talks to a listen unix block; the socket file is gone afterwards', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-unix-'));
    let reply = '';
    const r = await runSock('### unix\nlisten unix lab.socket as u\nrecv all\nsend "got: "\necho\n', {
      baseDir: dir,
      during: async () => {
        reply = (await start('python3', [join(PEERS, 'unix_client.py'), join(dir, 'lab.socket'), 'ping']).exited).stdout.trim();
      },
    });
    assert.equal(reply, "b'got: '");
    assert.equal(r.exitCode, 0);
    assert.equal(existsSync(join(dir, 'lab.socket')), false);
    await rm(dir, { recursive: true, force: true });
  });

  it('a failed expectation is reported with what was received, and the exit code is 1', async () => {
    const { port } = await startPeer('server.py', ['0']);
    const r = await runSock(`### client\nconnect tcp 127.0.0.1:${port}\nrecv\nexpect "Welcome"\nrecv\n`);
    assert.equal(r.exitCode, 1);
    const fail = step(r, 'expect "Welcome"');
    assert.equal(fail.status, 'fail');
    assert.equal(fail.detail, '"Welcome" not in 24 bytes "Thank you for connecting"');
    assert.equal(r.steps.filter((s) => s.source === 'recv').length, 1, 'the block stops at the failed expect');
  });

  it('a refused connection is an error (exit 2) that names the endpoint, and later blocks still run', async () => {
    const { port, peer } = await startPeer('server.py', ['0']);
    peer.child.kill();
    await peer.exited;
    const r = await runSock(`### refused\nconnect tcp 127.0.0.1:${port}\nsend "x"\n### next\nhostname\n`);
    assert.equal(r.exitCode, 2);
    const err = r.steps[0];
    assert.equal(err.status, 'error');
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.detail, `connect tcp 127.0.0.1:${port}: connection refused: nothing is listening there (ECONNREFUSED)`);
    assert.ok(r.steps.some((s) => s.verb === 'hostname' && s.status === 'ok'));
    assert.equal(r.summary.errors, 1);
  });

  it('a port in use is EADDRINUSE, and an unknown host or a bad address an error, never a crash', async () => {
    const { port } = await startPeer('server.py', ['0']);
    const r = await runSock(`### in use\nlisten tcp 127.0.0.1:${port}\nclose\n### aton\naton 1.2.3.4.5\n`);
    assert.equal(r.exitCode, 2);
    assert.equal(r.steps[0].code, 'EADDRINUSE');
    assert.match(r.steps[0].detail ?? '', /address already in use/);
    assert.equal(r.steps[1].code, 'EBADADDR');
  });

  it('expect error checks the error of the step before it, by code and message', async () => {
    const r = await runSock('### a\nservice nosuchservice tcp\nexpect error ESERVICE "not found"\n### b\nhostname\nexpect error\n### c\naton 1.2.3\nexpect error ECONNREFUSED\n');
    assert.deepEqual(r.steps.map((s) => s.status), ['error', 'pass', 'ok', 'fail', 'ok', 'fail']);
    assert.equal(r.steps[3].detail, 'expected an error, but the step before succeeded');
    assert.equal(r.exitCode, 1, 'caught errors are not counted as errors');
  });

  it('after a refused connect caught by expect error, a later send says why there is no connection', async () => {
    const r = await runSock('### a\nconnect tcp 127.0.0.1:1\nexpect error ECONNREFUSED\nsend "x"\n');
    assert.equal(r.steps[2].code, 'ECLOSED');
    assert.match(r.steps[2].detail ?? '', /^send: no connection: connect tcp 127\.0\.0\.1:1: connection refused/);
  });

  it('an expectation that fails inside a listener counts toward the exit code', async () => {
    const r = await runSock('### l\nlisten tcp 127.0.0.1:0 as l\nrecv\nexpect "HELLO"\n### c\nconnect tcp {{l}}\nsend "goodbye"\nrecv\n');
    assert.equal(r.exitCode, 1);
    const fail = r.steps.find((s) => s.status === 'fail');
    assert.equal(fail?.listener, 'l');
  });

  it('expands file variables and listener fields', async () => {
    const r = await runSock('@lo = 127.0.0.1\n@greeting = hi {{lo}}\n### l\nlisten tcp {{lo}}:0 as srv\nsend "{{greeting}} \\x21"\n### c\nconnect tcp {{srv.host}}:{{srv.port}}\nrecv\nexpect "hi 127.0.0.1 !"\n');
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
  });

  it('a receive that waits too long times out with ETIMEDOUT and the timeout in the message', async () => {
    const r = await runSock('### l\nlisten tcp 127.0.0.1:0 as quiet\nrecv timeout 2s\n### c\nconnect tcp {{quiet}}\nrecv timeout 150ms\n');
    const timeout = r.steps.find((s) => s.source === 'recv timeout 150ms');
    assert.equal(timeout?.code, 'ETIMEDOUT');
    assert.match(timeout?.detail ?? '', /timed out after 150 ms/);
    assert.equal(r.exitCode, 2);
  });
});

describe('.sock over IPv6 loopback', () => {
  it('TCP, UDP and TLS listeners and clients on [::1]', async () => {
    const r = await runSock([
      '### tcp', 'listen tcp [::1]:0 as t', 'send "tcp6"', 'close',
      '### udp', 'listen udp [::1]:0 as u', 'echo',
      '### tls', 'listen tls [::1]:0 as s', 'self-signed', 'send "tls6"', 'close',
      '### clients: tcp', 'connect tcp {{t}}', 'recv', 'expect "tcp6"',
      '### udp', 'connect udp {{u}}', 'send "udp6"', 'recv', 'expect "udp6"',
      '### tls (a self-signed certificate, so insecure)', 'connect tls {{s}}', 'insecure', 'recv', 'expect "tls6"',
      '',
    ].join('\n'));
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    const listening = r.events.filter((e) => e.type === 'listening').map((e) => (e.type === 'listening' ? e.local : ''));
    assert.equal(listening.length, 3);
    assert.ok(listening.every((l) => /^\[::1\]:\d+$/.test(l)), listening.join(' '));
  });
});

describe('.sock runs: cancellation', () => {
  it('stopping a run cancels a waiting recv at once: the step says ECANCELED and the run ends', async () => {
    // A peer that accepts and never sends: the recv would wait its whole 30 s timeout.
    const { port } = await startPeer('sleeper.py', []);
    const events: RunEvent[] = [];
    const r = new SockRun(parseSock(`### wait for bytes that never come\nconnect tcp 127.0.0.1:${port}\nrecv timeout 30s\n`), { baseDir: PEERS, onEvent: (e) => events.push(e) });
    const running = r.run();
    await until('the connect step', () => (events.some((e) => e.type === 'step' && e.verb === 'connect' && e.status === 'ok') ? true : undefined), 5000);
    const t0 = Date.now();
    await r.stop(0);
    await running;
    const recv = events.find((e): e is StepEvent => e.type === 'step' && e.verb === 'recv');
    assert.equal(recv?.status, 'error', JSON.stringify(recv));
    assert.equal(recv?.code, 'ECANCELED');
    assert.ok(Date.now() - t0 < 5000, `the run took ${Date.now() - t0} ms to stop`);
  });
});
