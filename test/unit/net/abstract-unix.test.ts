import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { runSock, start } from '../helpers';

// Linux's abstract Unix socket names (unix(7)): `@NAME` in a .sock file. Node 20 binds and
// connects to the name padded with NULs to all of sun_path's 108 bytes (as `ss -xl` shows), so
// the Python peers use that padded name too.
const padded = (name: string): string => `'\\0${name}' + '\\0' * ${107 - name.length}`;
describe('abstract Unix sockets (@NAME), against Python\'s socket module', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });

  it('a listener on @NAME serves a Python client that connects to the abstract name, and makes no file', async () => {
    const name = `socket-lab-${randomBytes(6).toString('hex')}`;
    const before = readdirSync(process.cwd());
    const r = await runSock(`### server\nlisten unix @${name} as abs\nrecv line\nsend "hi {{abs.path}}\\n"\n`, {
      during: async () => {
        const out = await start('python3', ['-c', [
          'import socket',
          's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(5)',
          `s.connect(${padded(name)})`,
          "s.sendall(b'hello\\n')",
          "print(s.recv(100).decode().strip(), flush=True)",
        ].join('\n')]).exited;
        assert.equal(out.stdout.trim(), `hi @${name}`);
      },
    });
    assert.equal(r.summary.failed, 0);
    assert.deepEqual(readdirSync(process.cwd()), before, 'no socket file next to the .sock file');
    const listening = r.events.find((e) => e.type === 'step' && e.verb === 'listen');
    assert.match(String(listening && 'detail' in listening ? listening.detail : ''), new RegExp(`listening on @${name} `));
  });

  it('a client of @NAME reaches a Python listener bound to the abstract name; a missing name is ECONNREFUSED', async () => {
    const name = `socket-lab-${randomBytes(6).toString('hex')}`;
    const peer = start('python3', ['-c', [
      'import socket',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
      `s.bind(${padded(name)}); s.listen(1); s.settimeout(10)`,
      "print('listening', flush=True)",
      "c, _ = s.accept(); c.sendall(b'from python\\n'); c.close()",
    ].join('\n')]);
    await peer.waitFor(/listening/);
    const r = await runSock(`### client\nconnect unix @${name}\nrecv line timeout 3s\nexpect exactly "from python\\n"\n### nobody\nconnect unix @${name}-none\nexpect error ECONNREFUSED\n`);
    assert.equal(r.summary.failed, 0, JSON.stringify(r.steps.map((s) => `${s.source}: ${s.status} ${s.detail}`)));
    assert.equal(r.summary.passed, 2);
  });
});
