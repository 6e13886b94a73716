// The tutorial, exported to Python 3 and Node and run (issue 20): each program sends and receives
// what Socket Lab's run does, on every connection, and each expectation has the same verdict.
import { strict as assert } from 'node:assert';
import { verifyExport } from './verify';

describe('export: examples/tutorial.sock as Python 3 and Node programs', function () {
  this.timeout(120_000);

  it('runs both programs with the same traffic and verdicts as socket-lab run', async () => {
    const { sock, python, node } = await verifyExport({ file: 'examples/tutorial.sock', udpListeners: ['udpecho'] });
    assert.equal(sock.totals, '28 passed, 0 failed, 0 errors');
    // Every lesson's connection is in the comparison: the greeter, the web server, UDP, Unix, part 2.
    for (const name of ['greeter', 'web', 'udpecho', 'local', 'tcpecho', 'bulk', 'reader', 'rude', 'block 6', 'block 20', 'block 24']) assert.ok(sock.connections.has(name), name);
    assert.match(python.stdout, /\[block 13\] ECONNREFUSED \(expected\)/);
    assert.match(node.stdout, /\[block 24\] ECONNRESET \(expected\)/);
  });
});
