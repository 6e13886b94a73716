// examples/redis-binary.sock against a real redis-server (Debian's), on a free loopback port passed
// as --var port=N.
import { strict as assert } from 'node:assert';
import { cli, freePort, python, type Running, start } from '../helpers';
import { verifyExport } from '../export/verify';

describe('examples/redis-binary.sock against redis-server', function () {
  let redis: Running;
  let port = 0;

  before(async () => {
    port = await freePort();
    redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { suite: true, timeoutMs: 60_000 });
    await redis.waitFor(/Ready to accept connections/, 15_000);
  });

  after(() => {
    redis.child.kill('SIGKILL');
  });

  it('stores a value of NUL, CR, LF and 0xff with computed $N lengths and reads it back byte for byte', async () => {
    const r = await cli(['run', 'examples/redis-binary.sock', '--var', `port=${port}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^3 passed, 0 failed/m);
    // Another client, Python's socket module, reads the value Redis keeps: the same five bytes.
    const hex = await python(
      [
        'import socket',
        `s = socket.create_connection(("127.0.0.1", ${port}), timeout=5)`,
        "s.sendall(b'*2\\r\\n$3\\r\\nGET\\r\\n$17\\r\\nsocket-lab:binary\\r\\n')",
        "got = b''",
        "while not got.endswith(b'\\r\\n') or len(got) < 11: got += s.recv(64)",
        'print(got.hex())',
      ].join('\n'),
    );
    assert.equal(hex, '24350d0a000d0aff410d0a');
  });

  it('exports to Python and Node programs that send and receive the same bytes (NUL, CR, LF, 0xff included)', async function () {
    this.timeout(60_000);
    await verifyExport({ file: 'examples/redis-binary.sock', vars: async () => ({ port: String(port) }) });
  });
});
