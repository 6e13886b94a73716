// examples/mqtt.sock against a real mosquitto (Debian's), started on a free loopback port and passed
// to the example as --var port=N, the way every example takes its server's port.
import { strict as assert } from 'node:assert';
import { cli, freePort, type Running, start } from '../helpers';
import { verifyExport } from '../export/verify';

describe('examples/mqtt.sock against mosquitto', function () {
  let broker: Running;
  let port = 0;

  before(async () => {
    port = await freePort();
    // -v prints each packet the broker receives, so the test sees what it made of the bytes.
    broker = start('mosquitto', ['-p', String(port), '-v'], { suite: true, timeoutMs: 60_000 });
    await broker.waitFor(/Opening ipv4 listen socket on port \d+/, 15_000);
  });

  after(() => {
    broker.child.kill('SIGKILL');
  });

  it('runs: CONNECT with a computed remaining length, SUBSCRIBE on one kept connection, PUBLISH on another, the message arrives, PINGREQ', async () => {
    const r = await cli(['run', 'examples/mqtt.sock', '--var', `port=${port}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^6 passed, 0 failed/m);
    // The broker read each packet as MQTT 3.1.1: the lengths Socket Lab computed were right.
    await broker.waitFor(/Received SUBSCRIBE from socket-lab-sub/);
    await broker.waitFor(/Received PUBLISH from socket-lab-pub \(d0, q0, r0, m0, 'lab\/socket-lab', \.\.\. \(21 bytes\)\)/);
    await broker.waitFor(/Received PINGREQ from socket-lab-sub/);
  });

  it('exports to Python and Node programs that send the same packets and pass the same expectations', async function () {
    this.timeout(60_000);
    await verifyExport({ file: 'examples/mqtt.sock', vars: async () => ({ port: String(port) }) });
  });
});
