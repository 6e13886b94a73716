/**
 * A load against this machine's limits (spec §8.15): open files and ephemeral ports are checked
 * before the first connection, a limit that can be raised is raised and said, one that cannot
 * refuses the plan; Ctrl-C stops a load with the statistics so far.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { fdLimits, localPorts } from '../../../src/net/limits';
import { CLI, ROOT, run, start, startPeer, tempSock } from '../helpers';

describe('a load and the machine', function () {
  this.timeout(60_000);

  it('reads the open-file limits prlimit reports for this process', async () => {
    const r = await run('prlimit', ['--pid', String(process.pid), '--nofile', '--output', 'SOFT,HARD', '--noheadings']);
    const [soft, hard] = r.stdout.trim().split(/\s+/).map((s) => (s === 'unlimited' ? Infinity : Number(s)));
    assert.deepEqual(await fdLimits(), { soft, hard });
  });

  it('raises a soft open-file limit that is too low for the plan, and says so (prlimit, as Node has no setrlimit)', async () => {
    // Node raises its soft limit to the hard one as it starts: this child lowers its own first.
    const script = `
      const { execFileSync } = require('node:child_process');
      execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=300:' + require('node:fs').readFileSync('/proc/self/limits', 'utf8').match(/Max open files\\s+\\S+\\s+(\\S+)/)[1]]);
      const { checkLoadLimits } = require(${JSON.stringify(join(ROOT, 'src', 'sock', 'run', 'load.ts'))});
      const { fdLimits } = require(${JSON.stringify(join(ROOT, 'src', 'net', 'limits.ts'))});
      checkLoadLimits({ clients: 400, rampMs: 0, range: {}, source: 'load 400 clients' }, 'tcp').then(async (notes) => console.log(JSON.stringify({ notes, after: await fdLimits() })));
    `;
    const r = await run(process.execPath, ['-r', 'tsx/cjs', '-e', script]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { notes: string[]; after: { soft: number } };
    assert.deepEqual(out.notes, ['raised the open-file limit from 300 to 464']);
    assert.equal(out.after.soft, 464);
  });

  it('refuses a plan past the hard open-file limit before connecting, with what to do', async () => {
    const f = await tempSock('### load\nconnect tcp 127.0.0.1:9\nload 300 clients\nsend "x"\n');
    const r = await run('prlimit', ['--nofile=100:100', process.execPath, CLI, 'run', f.file]);
    await f.remove();
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /! load 300 clients +load 300 clients needs about 364 open files \(a socket each\); this process may open 100, and at most 100 \(the hard limit\): lower the clients, or raise the limit/);
    assert.doesNotMatch(r.stdout, /connect tcp 127\.0\.0\.1:9 +connect/, 'no connection was tried');
  });

  it("reads the local port of every TCP socket, IPv4 and IPv6, listener and client, from /proc/net/tcp and tcp6", async () => {
    const server = createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const server6 = createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => server6.listen(0, '::1', r));
    const clients: Socket[] = [];
    try {
      for (const [srv, host] of [[server, '127.0.0.1'], [server6, '::1']] as const) {
        for (let i = 0; i < 5; i++) {
          const c = connect((srv.address() as AddressInfo).port, host);
          await new Promise<void>((r, j) => c.once('connect', r).once('error', j));
          clients.push(c);
        }
      }
      const listed = new Set([...localPorts(readFileSync('/proc/net/tcp', 'latin1')), ...localPorts(readFileSync('/proc/net/tcp6', 'latin1'))]);
      for (const port of [(server.address() as AddressInfo).port, (server6.address() as AddressInfo).port, ...clients.map((c) => c.localPort as number)]) {
        assert.ok(listed.has(port), `port ${port} is listed`);
      }
    } finally {
      for (const c of clients) c.destroy();
      server.close();
      server6.close();
    }
  });

  it('refuses a rate that needs more ephemeral ports than the machine has free, naming the range', async () => {
    const f = await tempSock('### load\nconnect tcp 127.0.0.1:9\nload 10 clients rate 1000000/s for 60s\nsend "x"\n');
    const r = await run(process.execPath, [CLI, 'run', f.file]);
    await f.remove();
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /load needs about 60000010 ephemeral ports \(a connection's port stays in TIME_WAIT for 60 s after it closes\); \d+ of this machine's \d+–\d+ are free \(net\.ipv4\.ip_local_port_range\)/);
  });

  it('stops on Ctrl-C with the statistics so far: the load line with no errors, its table, exit 130', async () => {
    const { peer, port } = await startPeer('echo_server.py', []);
    const f = await tempSock(`### load\nconnect tcp 127.0.0.1:${port}\nload 5 clients for 30s\nsend "PING\\n"\nrecv line\nwait 50ms\n`);
    const cli = start(process.execPath, [CLI, 'run', f.file]);
    await peer.waitFor(/served 20\n/);
    cli.child.kill('SIGINT');
    const r = await cli.exited;
    peer.child.kill();
    await f.remove();
    assert.equal(r.code, 130, r.stdout + r.stderr);
    // Sessions running when the signal came are cut (counted apart), unless they were between two steps' ends.
    const line = /≋ load 5 clients for 30s +(\d+) sessions in [^;]+; [^\n]*no errors/.exec(r.stdout);
    assert.ok(line, r.stdout);
    assert.ok(Number(line[1]) >= 20, `sessions so far: ${line[1]}`);
    assert.match(r.stdout, /^ +round-trip +\d+ /m);
  });
});
