// One event, one line, one mark: an error that a step meets is printed once, by that step.
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { cli, startPeer, tempSock } from '../helpers';

/** A UDP port on loopback that nothing listens on (bound, then closed). */
async function closedUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function transcript(text: string): Promise<{ code: number | null; lines: string[] }> {
  const sock = await tempSock(text);
  try {
    const r = await cli(['run', sock.file], { timeoutMs: 15_000 });
    return { code: r.code, lines: r.stdout.split('\n') };
  } finally {
    await sock.remove();
  }
}

describe('hostile peers: one event, one line in the transcript', () => {
  it('a refused UDP datagram caught by expect error is one · line, not also a ! line', async () => {
    const port = await closedUdpPort();
    const r = await transcript(`### u\nconnect udp 127.0.0.1:${port}\nsend "x"\nrecv timeout 2s\nexpect error ECONNREFUSED\n`);
    assert.equal(r.code, 0, r.lines.join('\n'));
    const refused = r.lines.filter((l) => /ECONNREFUSED/.test(l) && !/expect error/.test(l));
    assert.equal(refused.length, 1, r.lines.join('\n'));
    assert.match(refused[0], /^ {2}· \[u\d+\] recv timeout 2s .*connection refused.*\(expected\)/);
    assert.deepEqual(r.lines.filter((l) => l.startsWith('  !')), [], r.lines.join('\n'));
  });

  it('a reset that cuts a recv all short is one ! line, by the recv all', async () => {
    const { port } = await startPeer('blurt.py', ['0', '1', 'reset', 'hi']);
    const r = await transcript(`### t\nconnect tcp 127.0.0.1:${port}\nrecv all timeout 3s\n`);
    assert.equal(r.code, 2);
    const marked = r.lines.filter((l) => /ECONNRESET/.test(l));
    assert.equal(marked.length, 1, r.lines.join('\n'));
    assert.match(marked[0], /^ {2}! \[c\d+\] recv all timeout 3s /);
  });

  it('a refused UDP datagram that no step meets still gets its one ! line', async () => {
    const port = await closedUdpPort();
    const r = await transcript(`### u\nconnect udp 127.0.0.1:${port}\nsend "x"\nwait 300ms\n`);
    const refused = r.lines.filter((l) => /ECONNREFUSED/.test(l));
    assert.equal(refused.length, 1, r.lines.join('\n'));
    assert.match(refused[0], /^ {2}! u\d+: udp 127\.0\.0\.1:\d+: connection refused/);
  });
});
