import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatagramSocket } from '../../src/net/datagram';
import { SocketLabError } from '../../src/net/errors';
import { StreamListener } from '../../src/net/listener';
import { StreamConnection } from '../../src/net/stream';
import { TrafficBus } from '../../src/net/traffic';
import { ROOT, run, start, startPeer } from './helpers';

const WAIT = { timeoutMs: 3000 };
const OP = join(ROOT, 'test', 'fixtures', 'socket-op.ts');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

function typed(code: string, message: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SocketLabError, `not a SocketLabError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  };
}

/** Runs test/fixtures/socket-op.ts under `wrapper` (e.g. setpriv, unshare); returns code, message, errno. */
async function socketOp(wrapper: string[], args: string[]): Promise<string[]> {
  const [cmd, ...rest] = [...wrapper, process.execPath, TSX, OP, ...args];
  const r = await run(cmd, rest);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('|');
}

describe('every error a user can meet is one typed, clear error with its errno', () => {
  it('ECONNREFUSED for TCP, Unix (a socket file nothing listens on) and UDP (ICMP port unreachable)', async () => {
    const bus = new TrafficBus();
    const { port, peer } = await startPeer('server.py', ['0']);
    peer.child.kill();
    await peer.exited;
    await assert.rejects(StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, WAIT, bus), (e: unknown) => typed('ECONNREFUSED', /connection refused/)(e) && typeof (e as SocketLabError).errno === 'number');
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-err-'));
    const path = join(dir, 'dead.socket');
    await start('python3', ['-c', `import socket,os; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path)}); os._exit(0)`]).exited;
    await assert.rejects(StreamConnection.connect({ transport: 'unix', path }, WAIT, bus), typed('ECONNREFUSED', /connection refused/));
    await rm(dir, { recursive: true, force: true });
    const udp = await DatagramSocket.connect('127.0.0.1', port, bus);
    await udp.send(Buffer.from('anyone?'));
    await assert.rejects(udp.recv(undefined, WAIT), typed('ECONNREFUSED', /connection refused/));
    await udp.close();
  });

  it('ECONNRESET and EPIPE when the peer resets or has gone', async () => {
    const bus = new TrafficBus();
    const server = createServer((s) => {
      s.on('error', () => undefined);
      setTimeout(() => s.resetAndDestroy(), 50);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const conn = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, WAIT, bus);
    await assert.rejects(conn.recv(undefined, WAIT), typed('ECONNRESET', /connection reset by peer/));
    conn.destroy();
    await new Promise((r) => server.close(r));

    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-pipe-'));
    const listener = await StreamListener.listen({ transport: 'unix', path: join(dir, 'p.socket') }, {}, bus, (c) => c.destroy());
    const uconn = await StreamConnection.connect({ transport: 'unix', path: join(dir, 'p.socket') }, WAIT, bus);
    await uconn.recv(undefined, WAIT); // the listener closed it: b''
    let error: unknown;
    for (let i = 0; i < 20 && !error; i++) {
      try {
        await uconn.send(Buffer.alloc(1024), WAIT);
        await new Promise((r) => setTimeout(r, 10));
      } catch (e) {
        error = e;
      }
    }
    assert.ok(error instanceof SocketLabError && ['EPIPE', 'ECONNRESET'].includes(error.code), String(error));
    assert.match((error as Error).message, /broken pipe|connection reset/);
    uconn.destroy();
    await listener.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('EADDRINUSE for TCP, UDP and Unix', async () => {
    const bus = new TrafficBus();
    const tcp = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, {}, bus, () => undefined);
    const port = tcp.endpoint.transport === 'tcp' ? tcp.endpoint.port : 0;
    await assert.rejects(StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port }, {}, bus, () => undefined), typed('EADDRINUSE', /address already in use/));
    const udp = await DatagramSocket.bind('127.0.0.1', 0, bus);
    await assert.rejects(DatagramSocket.bind('127.0.0.1', Number(udp.local.split(':')[1]), bus), typed('EADDRINUSE', /address already in use/));
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-inuse-'));
    const unix = await StreamListener.listen({ transport: 'unix', path: join(dir, 'u.socket') }, {}, bus, () => undefined);
    await assert.rejects(StreamListener.listen({ transport: 'unix', path: join(dir, 'u.socket') }, {}, bus, () => undefined), typed('EADDRINUSE', /another listener is using this path/));
    await Promise.all([tcp.close(), udp.close(), unix.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('EACCES for a privileged port, as an unprivileged user (setpriv)', async () => {
    const [code, message] = await socketOp(['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'], ['listen-tcp', '127.0.0.1', '81']);
    assert.equal(code, 'EACCES');
    assert.match(message, /listen tcp 127\.0\.0\.1:81: permission denied \(EACCES\)/);
  });

  it('EHOSTUNREACH inside a private network namespace with an unreachable route (nothing leaves the namespace)', async () => {
    const [code, message] = await socketOp(['unshare', '-n', 'sh', '-c', 'ip link set lo up && ip route add unreachable 198.18.0.0/15 && exec "$@"', 'sh'], ['connect-tcp', '198.18.0.1', '80']);
    assert.equal(code, 'EHOSTUNREACH');
    assert.match(message, /host unreachable \(EHOSTUNREACH\)/);
  });

  it('ETIMEDOUT when a connect gets no answer in time (a listener whose accept queue is full)', async () => {
    const bus = new TrafficBus();
    // A Python listener with backlog 0 that never accepts: once its queue is full, new SYNs are dropped.
    const py = start('python3', ['-c', "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(0); print('listening', s.getsockname()[1], flush=True); time.sleep(20)"]);
    const port = Number((await py.waitFor(/listening (\d+)\r?\n/))[1]);
    const fillers = Array.from({ length: 4 }, () => {
      const c = connect({ host: '127.0.0.1', port });
      c.on('error', () => undefined);
      return c;
    });
    await new Promise((r) => setTimeout(r, 200));
    await assert.rejects(StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, { timeoutMs: 500 }, bus), typed('ETIMEDOUT', /connect tcp 127\.0\.0\.1:\d+: timed out after 500 ms/));
    fillers.forEach((c) => c.destroy());
    py.child.kill();
  });

  it('ENOENT for a Unix path that does not exist', async () => {
    await assert.rejects(StreamConnection.connect({ transport: 'unix', path: '/nonexistent/dir/x.socket' }, WAIT, new TrafficBus()), typed('ENOENT', /no such file or directory/));
  });

  it('leaves no socket, server or timer behind once everything is closed', async () => {
    const baseline = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout');
    const bus = new TrafficBus();
    const l = await StreamListener.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 }, {}, bus, (c) => void c.recvAll(WAIT).then(() => c.close()));
    const port = l.endpoint.transport === 'tcp' ? l.endpoint.port : 0;
    const c = await StreamConnection.connect({ transport: 'tcp', host: '127.0.0.1', port }, WAIT, bus);
    const u = await DatagramSocket.bind('127.0.0.1', 0, bus);
    await c.send(Buffer.from('x'), WAIT);
    await c.close();
    await c.close();
    await Promise.all([l.close(), l.close(), u.close(), u.close()]);
    // Handles are released a few ticks after their close callbacks; wait for that, bounded.
    // Other tests' child processes may still be closing pipes, so compare counts: none may grow.
    const count = (list: string[]): Map<string, number> => list.reduce((m, r) => m.set(r, (m.get(r) ?? 0) + 1), new Map<string, number>());
    const grown = (): string[] => {
      const now = count(process.getActiveResourcesInfo().filter((r) => r !== 'Timeout'));
      const before = count(baseline);
      return [...now].filter(([r, n]) => n > (before.get(r) ?? 0)).map(([r, n]) => `${r}: ${before.get(r) ?? 0} → ${n}`);
    };
    for (let i = 0; i < 50 && grown().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(grown(), []);
  });
});
