// The end of a run does not lose what a block sent its own listeners just before: a UDP listener's
// last datagram, handed to loopback as the client block ended, still runs its session, and the
// session's steps and traffic are reported (they were counted but not shown, and the traffic
// missed the datagram).
import { strict as assert } from 'node:assert';
import { runSock } from '../helpers';

describe('the end of a run', function () {
  this.timeout(30_000);

  it('serves the datagram a client sent last, reports its session\'s steps, and counts it once', async () => {
    const text = ['### A sink', 'listen udp 127.0.0.1:0 as sink', 'recv', 'expect bytes 3', '', '### A client whose last send ends the run', 'connect udp {{sink}}', 'repeat 5', '  send "abc"', 'end', ''].join('\n');
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await runSock(text, { everyRound: true });
      const checks = r.steps.filter((s) => s.listener === 'sink' && s.verb === 'expect');
      assert.deepEqual(checks.map((s) => s.status), ['pass', 'pass', 'pass', 'pass', 'pass'], `attempt ${attempt + 1}`);
      assert.equal(r.summary.passed, 5 + 1, 'five sessions and the client block');
    }
  });
});
