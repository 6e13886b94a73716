// examples/relay.sock in front of Python's http.server, with curl as the client: the relay listens
// on --var port=N and forwards to --var upstream=HOST:PORT. And `forward` against other real peers:
// a FIN passed on (digest_server.py answers only after the client's FIN), an upstream that never
// reads (sleeper.py: the relay stops reading the client, memory stays bounded), an upstream that
// refuses.
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EndpointRegistry } from '../../../src/net/registry';
import { TrafficBus, type TrafficEvent } from '../../../src/net/traffic';
import { makeMatcher, EventStore } from '../../../src/webview/page/model';
import { toWireConnection, toWireEvent } from '../../../src/webview/toWire';
import { mockFile } from '../../../src/sock/replay';
import { CLI, freePort, run, runSock, start, startHttpServer, startPeer, type Running } from '../helpers';
import { verifyExport } from '../export/verify';

describe('examples/relay.sock: a capturing relay in front of python3 -m http.server', function () {
  this.timeout(60_000);
  let dir: string;
  let server: Running;
  let upstream = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'socket-lab-relay-'));
    await writeFile(join(dir, 'hello.txt'), 'hello through the relay\n');
    ({ server, port: upstream } = await startHttpServer(dir, { suite: true, timeoutMs: 60_000 }));
  });

  after(async () => {
    server.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('curl through the relay gets the file; the capture links both legs and pcapng holds two flows that tshark reads', async () => {
    const port = await freePort();
    const pcap = join(dir, 'relay.pcapng');
    const capture = join(dir, 'relay.jsonl');
    const relay = start(process.execPath, [join(__dirname, '..', '..', '..', 'dist', 'cli.js'), 'run', 'examples/relay.sock', '--var', `port=${port}`, '--var', `upstream=127.0.0.1:${upstream}`, '--serve', '--for', '4s', '--pcapng', pcap, '--capture', capture]);
    await relay.waitFor(/serving: listeners stay open/);
    const curl = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${port}/hello.txt`]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.equal(curl.stdout, 'hello through the relay\n');
    const done = await relay.exited;
    assert.equal(done.code, 0, done.stdout + done.stderr);
    assert.match(done.stdout, /• \[relay c(\d+)\] forward tcp \{\{upstream\}\} timeout 3s\s+relayed through c\d+: \d+ bytes up, \d+ bytes back/);
    assert.match(done.stdout, /↳ relay c(\d+) forwards to 127\.0\.0\.1:\d+ through c\d+/);

    // The capture: the upstream leg's open names the client's leg it carries.
    const events = (await readFile(capture, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; id: string; listener?: string; via?: string; remote?: string; direction?: string; payload?: { base64: string } });
    const accepted = events.find((e) => e.type === 'open' && e.listener !== undefined);
    const leg = events.find((e) => e.type === 'open' && e.via !== undefined);
    assert.ok(accepted && leg, 'both legs are in the capture');
    assert.equal(leg.via, accepted.id);
    assert.equal(leg.remote, `127.0.0.1:${upstream}`);
    const bytes = (id: string, direction: string): string => Buffer.concat(events.filter((e) => e.type === 'data' && e.id === id && e.direction === direction).map((e) => Buffer.from(e.payload?.base64 ?? '', 'base64'))).toString();
    assert.equal(bytes(leg.id, 'out'), bytes(accepted.id, 'in'), 'what the client sent went upstream, byte for byte');
    assert.equal(bytes(accepted.id, 'out'), bytes(leg.id, 'in'), 'and what came back went to the client');
    assert.match(bytes(accepted.id, 'in'), /^GET \/hello\.txt HTTP\/1\.1\r\n/);

    // pcapng: two TCP conversations, client → relay and relay → upstream, the request in each.
    const streams = await run('tshark', ['-r', pcap, '-Y', 'http.request', '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcp.dstport', '-e', 'http.request.uri']);
    assert.equal(streams.code, 0, streams.stderr);
    const rows = streams.stdout.trim().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(rows.map((r) => [r[1], r[2]]).sort(), [[String(port), '/hello.txt'], [String(upstream), '/hello.txt']].sort());
    assert.equal(new Set(rows.map((r) => r[0])).size, 2, 'two flows');
  });
});

describe('record → mock → replay: a relayed conversation with python3 -m http.server becomes a mock that answers curl without the server', function () {
  this.timeout(60_000);

  it('exports the server’s side as a responder and the client’s as a replay that checks it; with the server stopped, the mock answers curl the same way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-mock-'));
    await writeFile(join(dir, 'hello.txt'), 'hello from the real server\n');
    const { server, port: upstream } = await startHttpServer(dir, { timeoutMs: 60_000 });
    try {
      // Record: curl through the relay, the capture written as JSON lines.
      const port = await freePort();
      const capture = join(dir, 'relay.jsonl');
      const relay = start(process.execPath, [CLI, 'run', 'examples/relay.sock', '--var', `port=${port}`, '--var', `upstream=127.0.0.1:${upstream}`, '--serve', '--for', '3s', '--capture', capture]);
      await relay.waitFor(/serving: listeners stay open/);
      const real = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${port}/hello.txt`]);
      assert.equal(real.stdout, 'hello from the real server\n');
      assert.equal((await relay.exited).code, 0);
      server.child.kill('SIGKILL');
      await server.exited;

      // Mock: the server's side as rules, the client's side as a replay of it.
      const events = (await readFile(capture, 'utf8')).trim().split('\n').map((l) => {
        const e = JSON.parse(l) as TrafficEvent & { payload?: { base64: string } };
        return (e.type === 'data' ? { ...e, payload: Buffer.from((e.payload as unknown as { base64: string }).base64, 'base64') } : e) as TrafficEvent;
      });
      const file = mockFile(events);
      assert.deepEqual([file.mocks, file.replays], [1, 1]);
      assert.match(file.text, new RegExp(`^listen tcp 127\\.0\\.0\\.1:${upstream}$`, 'm'), 'the mock listens where the server did');
      assert.match(file.text, /^on "GET \/hello\.txt HTTP\/1\.1"$/m);
      const mock = join(dir, 'mock.sock');
      await writeFile(mock, file.text);
      const checked = await run(process.execPath, [CLI, 'run', mock]);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      assert.match(checked.stdout, /^\d+ passed, 0 failed/m);

      // With the server gone, the mock alone answers curl.
      const serving = start(process.execPath, [CLI, 'run', mock, '--block', '1', '--serve', '--for', '3s']);
      await serving.waitFor(/serving: listeners stay open/);
      const mocked = await run('curl', ['-sS', '--max-time', '10', '-i', `http://127.0.0.1:${upstream}/hello.txt`]);
      assert.equal(mocked.code, 0, mocked.stderr);
      assert.match(mocked.stdout, /^HTTP\/1\.0 200 OK\r\n[\s\S]*\r\n\r\nhello from the real server\n$/);
      assert.equal((await serving.exited).code, 0);
    } finally {
      server.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('forward against real peers', function () {
  this.timeout(30_000);

  it('passes the client’s FIN on: digest_server.py answers only after it, and the client gets its answer through the relay', async () => {
    const { peer, port } = await startPeer('digest_server.py', ['1']);
    const r = await runSock(`### relay\nlisten tcp 127.0.0.1:0 as relay\nforward tcp 127.0.0.1:${port}\n\n### client\nconnect tcp {{relay}}\nsend "abc"\nshutdown\nrecv all\nexpect exactly u32 3 hex ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad\n`);
    await peer.exited;
    assert.deepEqual([r.summary.passed, r.summary.failed, r.summary.errors], [1, 0, 0], JSON.stringify(r.steps.filter((s) => s.status !== 'ok' && s.status !== 'pass')));
    const forward = r.steps.find((s) => s.verb === 'forward');
    assert.equal(forward?.status, 'ok');
    assert.match(forward?.detail ?? '', /relayed through c\d+: 3 bytes up, 36 bytes back/);
  });

  it('an upstream that never reads: the relay stops reading the client, so the client’s send stalls and memory stays bounded', async () => {
    const { peer, port } = await startPeer('sleeper.py', []);
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-relay-bp-'));
    await writeFile(join(dir, 'chunk.bin'), Buffer.alloc(1024 * 1024, 0x42));
    const before = process.memoryUsage().rss;
    const r = await runSock(`### relay\nlisten tcp 127.0.0.1:0 as relay\nforward tcp 127.0.0.1:${port}\n\n### flood\nconnect tcp {{relay}}\nrepeat 512\nsend file chunk.bin\nend\n`, { baseDir: dir, defaultTimeoutMs: 1500 });
    const growth = process.memoryUsage().rss - before;
    peer.child.kill();
    await rm(dir, { recursive: true, force: true });
    const stalled = r.steps.find((s) => s.verb === 'send' && s.status === 'error');
    assert.equal(stalled?.code, 'ETIMEDOUT', JSON.stringify(stalled));
    const sent = r.steps.filter((s) => s.verb === 'send' && s.status === 'ok').length;
    assert.ok(sent < 64, `${sent} MiB were taken before the windows filled; 512 MiB were not buffered`);
    assert.ok(growth < 96 * 1024 * 1024, `RSS grew by ${Math.round(growth / 1048576)} MiB`);
  });

  it('an upstream that refuses: the forward fails with ECONNREFUSED naming the upstream, and the client’s connection is reset', async () => {
    const closed = await freePort();
    const r = await runSock(`### relay\nlisten tcp 127.0.0.1:0 as relay\nforward tcp 127.0.0.1:${closed} timeout 2s\n\n### client\nconnect tcp {{relay}}\nrecv\nexpect error\n`);
    const forward = r.steps.find((s) => s.verb === 'forward');
    assert.equal(forward?.code, 'ECONNREFUSED');
    assert.match(forward?.detail ?? '', new RegExp(`^forward to tcp 127\\.0\\.0\\.1:${closed}: `));
    const recv = r.steps.find((s) => s.verb === 'recv');
    assert.equal(recv?.status, 'error', 'the client sees its connection reset, not an answer');
    assert.equal(recv?.code, 'ECONNRESET');
  });
  it('both legs are one conversation: the tree lists the upstream leg under the connection it carries, and the traffic view’s filter of the listener shows both', async () => {
    const { peer, port } = await startPeer('digest_server.py', ['1']);
    const bus = new TrafficBus();
    const registry = new EndpointRegistry(bus);
    const events: TrafficEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const r = await runSock(`### relay\nlisten tcp 127.0.0.1:0 as relay\nforward tcp 127.0.0.1:${port}\n\n### client\nconnect tcp {{relay}}\nsend "abc"\nshutdown\nrecv all\nexpect bytes 36\n`, { bus });
    await peer.exited;
    assert.equal(r.summary.passed, 1);
    const listener = registry.all().find((x) => x.kind === 'listener');
    const accepted = registry.all().find((x) => x.kind === 'accepted');
    const leg = registry.all().find((x) => x.via !== undefined);
    assert.ok(listener && accepted && leg);
    assert.equal(leg.via, accepted.id);
    assert.equal(leg.remote, `127.0.0.1:${port}`);
    assert.deepEqual(registry.childrenOf(accepted.id).map((x) => x.id), [leg.id]);
    assert.equal(registry.parentOf(leg.id), accepted.id);
    assert.equal(registry.parentOf(accepted.id), listener.id);
    // The page, filtered to the listener: the accepted connection's bytes and the upstream leg's, not the client block's own.
    const store = new EventStore();
    store.push(events.map((e, i) => toWireEvent(e, i + 1)));
    const shown = store.all().filter(makeMatcher({ connection: listener.id, directions: ['in', 'out'], lifecycle: false, search: '' }, registry.all().map((x) => toWireConnection(x, false))));
    assert.deepEqual([...new Set(shown.map((e) => e.wire.id))].sort(), [accepted.id, leg.id].sort());
    assert.equal(shown.filter((e) => e.wire.id === leg.id && e.wire.direction === 'out').length > 0, true, 'what went upstream');
    registry.dispose();
  });
  it('TLS on both sides: a listen tls relay (self-signed) forwards to openssl s_server over TLS; a TLS client gets the upstream’s answer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-relay-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const made = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1']);
    assert.equal(made.code, 0, made.stderr);
    const port = await freePort();
    // -rev: each line comes back reversed.
    const upstream = start('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key, '-rev'], { timeoutMs: 30_000 });
    try {
      await upstream.waitFor(/ACCEPT/, 15_000);
      const r = await runSock(`### relay\nlisten tls 127.0.0.1:0 as relay\nself-signed\nforward tls 127.0.0.1:${port} insecure\n\n### client\nconnect tls {{relay}}\ninsecure\nsend "through two TLS sessions\\n"\nrecv line\nexpect "snoisses SLT owt hguorht"\n`);
      assert.deepEqual([r.summary.passed, r.summary.failed, r.summary.errors], [1, 0, 0], JSON.stringify(r.steps.filter((x) => x.status !== 'ok' && x.status !== 'pass')));
      const tls = r.events.filter((e) => e.type === 'traffic' && e.event.type === 'tls').map((e) => (e.type === 'traffic' ? e.event.id : ''));
      assert.equal(new Set(tls).size, 3, 'three TLS sessions: the client, the relay’s accepted connection and its upstream leg');
    } finally {
      upstream.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a Unix upstream: the relay forwards to another program’s Unix listener (unix_listener.py)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-relay-unix-'));
    const path = join(dir, 'upstream.socket');
    const upstream = start('python3', [join(__dirname, '..', '..', 'peers', 'unix_listener.py'), path, '10']);
    try {
      await upstream.waitFor(/listening\r?\n/, 10_000);
      const r = await runSock(`### relay\nlisten tcp 127.0.0.1:0 as relay\nforward unix ${path}\n\n### client\nconnect tcp {{relay}}\nrecv all\nexpect exactly "other program"\n`);
      assert.deepEqual([r.summary.passed, r.summary.failed, r.summary.errors], [1, 0, 0], JSON.stringify(r.steps.filter((x) => x.status !== 'ok' && x.status !== 'pass')));
      assert.match(r.steps.find((x) => x.verb === 'forward')?.detail ?? '', /relayed through c\d+: 0 bytes up, 13 bytes back/);
    } finally {
      upstream.child.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('rewrites on the way: redis-cli through a relay in front of redis-server reads a value changed on its way back, and a key changed on its way up', async () => {
    const port = await freePort();
    const redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { timeoutMs: 30_000 });
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-rewrite-'));
    try {
      await redis.waitFor(/Ready to accept connections/, 15_000);
      const relayPort = await freePort();
      const file = join(dir, 'rewrite.sock');
      await writeFile(file, `### relay\nlisten tcp 127.0.0.1:${relayPort} as relay\nforward tcp 127.0.0.1:${port}\nrewrite down "hello" with "HELLO"\nrewrite up /key-1\\b/ with "key-2"\n`);
      const relay = start(process.execPath, [CLI, 'run', file, '--serve', '--for', '4s']);
      await relay.waitFor(/serving: listeners stay open/);
      const direct = (...args: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
      const relayed = (...args: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(relayPort), ...args]);
      assert.equal((await direct('SET', 'greeting', 'hello world')).stdout, 'OK\n');
      assert.equal((await relayed('GET', 'greeting')).stdout, 'HELLO world\n', 'the value, changed on its way back (same length: the RESP header still holds)');
      assert.equal((await direct('GET', 'greeting')).stdout, 'hello world\n', 'the server still has it as it was');
      assert.equal((await relayed('SET', 'key-1', 'up')).stdout, 'OK\n');
      assert.equal((await direct('GET', 'key-2')).stdout, 'up\n', 'the key, changed on its way up');
      assert.equal((await direct('EXISTS', 'key-1')).stdout, '0\n');
      const done = await relay.exited;
      assert.match(done.stdout, /relayed through c\d+: \d+ bytes up, \d+ bytes back; 0 rewrites up; 1 rewrite down/);
      assert.match(done.stdout, /relayed through c\d+: \d+ bytes up, \d+ bytes back; 1 rewrite up; 0 rewrites down/);
    } finally {
      redis.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('UDP: a relay keeps a session per peer: Python’s sendto through it reaches a Python echo upstream, and the answer comes back from the relay’s address', async () => {
    const { peer: upstream, port } = await startPeer('udp.py', ['echo', '0', '3']);
    const bus = new TrafficBus();
    const registry = new EndpointRegistry(bus);
    const said: string[] = [];
    try {
      const r = await runSock(`### relay\nlisten udp 127.0.0.1:0 as relay\nforward udp 127.0.0.1:${port}\nrewrite down "ping" with "PONG"\n`, {
        bus,
        during: async (events) => {
          const listening = events.find((e) => e.type === 'listening');
          const relayPort = listening?.type === 'listening' ? listening.local.split(':')[1] : '0';
          for (const message of ['one', 'two', 'ping']) said.push((await run('python3', [join(__dirname, '..', '..', 'peers', 'udp.py'), 'send', relayPort, message])).stdout);
        },
      });
      assert.deepEqual(said, ["b'one'\n", "b'two'\n", "b'PONG'\n"], 'each answer through the relay, the last rewritten on its way back');
      const forwards = r.steps.filter((x) => x.verb === 'forward');
      assert.equal(forwards.length, 3);
      assert.match(forwards[0].detail ?? '', /^sent 3 bytes upstream through u\d+; its answers go back to the sender$/);
      // Each udp.py send is a new peer (a new port): three sessions, each upstream socket under its peer.
      const legs = registry.all().filter((x) => x.via !== undefined);
      assert.equal(legs.length, 3);
      for (const leg of legs) assert.equal(registry.parentOf(leg.id), leg.via, `${leg.id} is listed under the peer it carries`);
    } finally {
      upstream.child.kill();
      registry.dispose();
    }
  });
  it('a relay with rules answers what they take itself and forwards the rest: curl gets /health from the relay and a file from python3 -m http.server', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-relay-rules-'));
    await writeFile(join(dir, 'file.txt'), 'from the real server\n');
    const { server, port } = await startHttpServer(dir, { timeoutMs: 30_000 });
    try {
      const got: string[] = [];
      const r = await runSock(`### relay\nlisten tcp 127.0.0.1:0 as relay\nmessages until "\\r\\n\\r\\n"\nforward tcp 127.0.0.1:${port}\non /^GET \\/health /\n  send "HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\nConnection: close\\r\\n\\r\\nok\\n"\n  close\nend\n`, {
        during: async (events) => {
          const listening = events.find((e) => e.type === 'listening');
          const relayPort = listening?.type === 'listening' ? listening.local.split(':')[1] : '0';
          for (const path of ['health', 'file.txt']) got.push((await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${relayPort}/${path}`])).stdout);
        },
      });
      assert.deepEqual(got, ['ok\n', 'from the real server\n']);
      assert.ok(r.steps.some((x) => x.verb === 'on' && x.source === 'on /^GET \\/health /'), 'the rule answered /health');
      const relayed = r.steps.filter((x) => x.verb === 'forward' && x.status === 'ok').map((x) => x.detail);
      assert.equal(relayed.length, 1, JSON.stringify(r.steps.filter((x) => x.verb === 'forward')));
      assert.match(relayed[0] ?? '', /^relayed through c\d+: \d+ bytes up, \d+ bytes back; 0 messages answered by rules$/);
      assert.equal(r.summary.errors, 0, JSON.stringify(r.steps.filter((x) => x.status === 'error')));
    } finally {
      server.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
  it('faults in a relay hit the upstream’s answers: curl gets a file dripped through the relay, and a cut one when the relay closes mid-reply', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-relay-faults-'));
    const body = 'x'.repeat(600) + '\n';
    await writeFile(join(dir, 'file.txt'), body);
    const { server, port } = await startHttpServer(dir, { timeoutMs: 30_000 });
    try {
      const through = async (fault: string): Promise<{ code: number | null; stdout: string; ms: number; steps: string[] }> => {
        let out = { code: 0 as number | null, stdout: '', ms: 0 };
        const r = await runSock(`### relay\nlisten tcp 127.0.0.1:0 as relay\n${fault}\nforward tcp 127.0.0.1:${port}\n`, {
          during: async (events) => {
            const listening = events.find((e) => e.type === 'listening');
            const relayPort = listening?.type === 'listening' ? listening.local.split(':')[1] : '0';
            const t0 = performance.now();
            const c = await run('curl', ['-sS', '-i', '--max-time', '10', `http://127.0.0.1:${relayPort}/file.txt`]);
            out = { code: c.code, stdout: c.stdout, ms: performance.now() - t0 };
          },
        });
        return { ...out, steps: r.steps.filter((x) => x.verb === 'forward').map((x) => `${x.status} ${x.detail ?? ''}`) };
      };
      const dripped = await through('fault drip 100 every 40ms');
      assert.equal(dripped.code, 0);
      assert.match(dripped.stdout, /^HTTP\/1\.0 200 OK\r\n/);
      assert.ok(dripped.stdout.endsWith(`\r\n\r\n${body}`), 'every byte, in pieces');
      assert.ok(dripped.ms >= 240, `about 780 bytes, 100 every 40 ms, took ${Math.round(dripped.ms)} ms`);
      const cut = await through('fault close-after 40');
      // 40 bytes hold the status line and part of the next: curl shows the status line, and no body.
      assert.equal(cut.stdout, 'HTTP/1.0 200 OK\r\n', 'the reply ends 40 bytes in, inside its header');
      assert.match(cut.steps.join('\n'), /relayed through c\d+: \d+ bytes up, 40 bytes back/);
    } finally {
      server.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exports relay.sock to Python and Node relays that carry curl\'s request and the reply byte for byte on both legs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-relay-export-'));
    await writeFile(join(dir, 'hello.txt'), 'hello through the relay\n');
    const { server, port: upstream } = await startHttpServer(dir, { timeoutMs: 60_000 });
    const curl = async (vars: Record<string, string>): Promise<void> => {
      const r = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${vars.port}/hello.txt`]);
      assert.equal(r.stdout, 'hello through the relay\n', r.stderr);
    };
    // python3 -m http.server puts the time in its Date header: the bytes back differ from run to run.
    const date = "http.server's replies carry a Date header to the second";
    // One port for the three runs (each ends before the next): curl's Host header names it.
    const port = String(await freePort());
    await verifyExport({ file: 'examples/relay.sock', vars: async () => ({ port, upstream: `127.0.0.1:${upstream}` }), serve: { drive: curl, seconds: 4 }, varies: { relay: date, 'relay upstream': date } });
    server.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
});
