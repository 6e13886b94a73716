// examples/modbus.sock against test/peers/modbus_server.py, a small Modbus/TCP server written with
// Python's socket and struct (there is no Debian Modbus server to rely on), on a free loopback port
// passed as --var port=N.
import { strict as assert } from 'node:assert';
import { cli, startPeer } from '../helpers';
import { verifyExport } from '../export/verify';

describe('examples/modbus.sock against a Python Modbus/TCP server', function () {
  it('runs: Read Holding Registers with its MBAP length computed, the registers captured as integers and used, an exception reply', async () => {
    const { peer, port } = await startPeer('modbus_server.py', ['0']);
    const r = await cli(['run', 'examples/modbus.sock', '--var', `port=${port}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^4 passed, 0 failed/m);
    assert.match(r.stdout, /first = "1000"/);
    // The server parsed each MBAP header as Modbus says: the lengths were right.
    const done = await peer.exited;
    assert.deepEqual(done.stdout.split('\n').filter((l) => l.startsWith('request')).map((l) => l.replace(/tid=\d+ /, '')), [
      'request proto=0 length=6 unit=1 fn=3',
      'request proto=0 length=6 unit=1 fn=3',
      'request proto=0 length=2 unit=1 fn=43',
    ]);
  });

  it('exports to Python and Node programs that build the same MBAP frames and pass the same expectations', async function () {
    this.timeout(60_000);
    // The server serves one connection: each run gets its own.
    const vars = async (): Promise<Record<string, string>> => ({ port: String((await startPeer('modbus_server.py', ['0'])).port) });
    await verifyExport({ file: 'examples/modbus.sock', vars, varies: { 'block 1': 'the transaction id is {{$randomInt 1 65536}}' } });
  });
});
