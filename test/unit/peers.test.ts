import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, listenerPort, run, runSock, start } from './helpers';


/** Runs `sh -c` with a shell pipeline (stdin from printf), bounded by `timeout`. */
function shell(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run('sh', ['-c', script], { timeoutMs: 20_000 });
}

describe('against socat and ncat', () => {
  it('half-close against a socat echo server: shutdown, then read the echo until socat closes', async () => {
    const port = await freePort();
    const socat = start('socat', ['-d', '-d', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, 'EXEC:cat']);
    await socat.waitFor(/listening on/);
    const r = await runSock(`### echo via socat\nconnect tcp 127.0.0.1:${port}\nsend "line one\\nline two\\n"\nshutdown\nrecv all\nexpect "line one\\nline two\\n"\n`);
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    await socat.exited;
  });

  it('socat talks to a listen unix block over the Unix socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-socat-'));
    let out = '';
    const r = await runSock('### unix echo\nlisten unix lab.socket as u\necho\n', {
      baseDir: dir,
      during: async () => {
        out = (await shell(`printf 'via socat' | socat -t 2 - UNIX-CONNECT:${join(dir, 'lab.socket')}`)).stdout;
      },
    });
    assert.equal(out, 'via socat');
    assert.equal(r.exitCode, 0);
    await rm(dir, { recursive: true, force: true });
  });

  it('ncat sends a UDP datagram to a listen udp block and gets the echo back', async () => {
    let out = '';
    const r = await runSock('### udp echo\nlisten udp 127.0.0.1:0 as u\necho\n', {
      during: async (events) => {
        out = (await shell(`(printf 'datagram via ncat'; sleep 1) | ncat -u --idle-timeout 2 127.0.0.1 ${listenerPort(events, 'u')}`)).stdout;
      },
    });
    assert.equal(out, 'datagram via ncat');
    assert.equal(r.exitCode, 0);
  });

  it('ncat --ssl reads the greeting of a listen tls block with a self-signed certificate', async () => {
    let out = '';
    const r = await runSock('### tls greeter\nlisten tls 127.0.0.1:0 as t\nself-signed\nsend "hello over TLS\\n"\nclose\n', {
      during: async (events) => {
        out = (await shell(`ncat --ssl --recv-only 127.0.0.1 ${listenerPort(events, 't')} < /dev/null`)).stdout;
      },
    });
    assert.equal(out, 'hello over TLS\n');
    assert.equal(r.exitCode, 0);
  });

  it('max-conns behaves like ncat --max-conns: the second ncat client is turned away', async () => {
    const r = await runSock('### one\nlisten tcp 127.0.0.1:0 as one\nmax-conns 1\nsend "served\\n"\nrecv all timeout 5s\n', {
      during: async (events) => {
        const port = listenerPort(events, 'one');
        const first = start('sh', ['-c', `sleep 1 | ncat 127.0.0.1 ${port}`]);
        await first.waitFor(/served/);
        const second = await shell(`ncat --recv-only 127.0.0.1 ${port} < /dev/null`);
        assert.equal(second.stdout, '', 'the second client got nothing');
        await first.exited;
      },
    });
    assert.ok(r.events.some((e) => e.type === 'traffic' && e.event.type === 'drop' && e.event.reason === 'max-conns'));
  });
});
