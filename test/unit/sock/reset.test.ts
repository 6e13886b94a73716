// A reset is not a half-close: after `reset` (a RST) neither end's traffic shows a FIN it never
// sent, in --json, the capture and the traffic view alike.
import { strict as assert } from 'node:assert';
import { cli, tempSock } from '../helpers';

describe('reset: the traffic records no FIN that was never sent', function () {
  this.timeout(30_000);

  it('after a listener resets, neither its connection nor the client\'s shows a half-close out', async () => {
    const sock = await tempSock('### rude\nlisten tcp 127.0.0.1:0 as rude\nrecv line\nreset\n\n### client\nconnect tcp {{rude}}\nsend "hi\\n"\nrecv\nexpect error ECONNRESET\n');
    try {
      const r = await cli(['run', sock.file, '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const traffic = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; event?: { type: string; id: string; direction?: string } })
        .filter((e) => e.type === 'traffic')
        .map((e) => e.event as { type: string; id: string; direction?: string });
      const opened = traffic.filter((e) => e.type === 'open').map((e) => e.id);
      assert.equal(opened.length, 2, 'the listener\'s connection and the client\'s');
      assert.deepEqual(traffic.filter((e) => e.type === 'half-close' && e.direction === 'out'), []);
      for (const id of opened) assert.ok(traffic.some((e) => e.type === 'close' && e.id === id), `${id} closes`);
    } finally {
      await sock.remove();
    }
  });
});
