// Unix socket paths: one longer than sun_path is refused (not cut short), and a listener's close
// removes only the socket file it bound, never what has taken its path since.
import { strict as assert } from 'node:assert';
import { lstatSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocketLabError } from '../../../src/net/errors';
import { StreamListener } from '../../../src/net/listener';
import { StreamConnection } from '../../../src/net/stream';
import { TrafficBus } from '../../../src/net/traffic';
import { PEERS, runSock, start } from '../helpers';

/** A path of exactly `bytes` bytes inside `dir`. */
function pathOf(dir: string, bytes: number): string {
  const name = 'x'.repeat(bytes - dir.length - 1);
  return join(dir, name);
}

/** Connects to a Unix socket and resolves with what it sends before closing. */
function readFrom(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(3000, () => s.destroy(new Error('no answer')));
  });
}

describe('hostile files: Unix socket paths', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'socket-lab-unix-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a listen unix path of 108 bytes is refused with EBADADDR naming the limit, and leaves no file behind', async () => {
    const path = pathOf(dir, 108);
    const r = await runSock(`### long\nlisten unix ${path}\nclose\n`);
    assert.equal(r.steps[0].code, 'EBADADDR', JSON.stringify(r.steps[0]));
    assert.equal(r.steps[0].detail, `listen unix ${path}: path too long: 108 bytes, and a Unix socket path holds at most 107 (sun_path)`);
    assert.deepEqual(readdirSync(dir), [], 'no file cut to 107 bytes was made');
  });

  it('a connect unix path of 108 bytes is refused with EBADADDR, not sent to a shorter name', async () => {
    const path = pathOf(dir, 108);
    await assert.rejects(StreamConnection.connect({ transport: 'unix', path }, { timeoutMs: 2000 }, new TrafficBus()), (e: unknown) => e instanceof SocketLabError && e.code === 'EBADADDR' && /path too long: 108 bytes, and a Unix socket path holds at most 107/.test(e.message));
  });

  it('a path of exactly 107 bytes works both ways, and is gone after the run', async () => {
    const path = pathOf(dir, 107);
    let reply = '';
    const r = await runSock(`### fits\nlisten unix ${path}\nsend "fits"\nclose\n`, {
      during: async () => {
        reply = await readFrom(path);
      },
    });
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps));
    assert.equal(reply, 'fits');
    assert.deepEqual(readdirSync(dir), []);
  });

  it("a listener's close leaves a regular file that replaced its socket", async () => {
    const path = join(dir, 'lab.socket');
    const l = await StreamListener.listen({ transport: 'unix', path }, {}, new TrafficBus(), (c) => c.destroy());
    unlinkSync(path);
    writeFileSync(path, 'not yours');
    await l.close();
    assert.equal(readFileSync(path, 'utf8'), 'not yours');
  });

  it("a listener's close leaves another program's live socket at its path, which still answers", async () => {
    const path = join(dir, 'lab.socket');
    const l = await StreamListener.listen({ transport: 'unix', path }, {}, new TrafficBus(), (c) => c.destroy());
    // Another program removes the file (as a stale one) and binds the path itself.
    unlinkSync(path);
    const other = start('python3', [join(PEERS, 'unix_listener.py'), path, '8']);
    await other.waitFor(/listening/);
    await l.close();
    assert.ok(lstatSync(path).isSocket(), 'the other socket file is still there');
    assert.equal(await readFrom(path), 'other program');
  });

  it('its own socket file is removed on close, also after many restarts on one path, and nothing is left in the temporary folder', async () => {
    const path = join(dir, 'lab.socket');
    const privateDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('sl-'));
    const before = privateDirs();
    for (let i = 0; i < 30; i++) {
      const l = await StreamListener.listen({ transport: 'unix', path }, {}, new TrafficBus(), (c) => c.destroy());
      assert.ok(lstatSync(path).isSocket());
      await l.close();
    }
    assert.deepEqual(readdirSync(dir), []);
    assert.deepEqual(privateDirs(), before);
  });
});
