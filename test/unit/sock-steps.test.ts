import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSock, startPeer } from './helpers';

describe('.sock steps: half-close, framing, payload forms, wait', () => {
  it('shutdown sends FIN and keeps reading: a Python peer that reads to EOF answers after it', async () => {
    const { port, peer } = await startPeer('stream_server.py', ['sink']);
    const r = await runSock(`### half-close\nconnect tcp 127.0.0.1:${port}\nsend "abc"\nshutdown\nrecv all\nexpect "got 3 bytes"\n`);
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    assert.equal((await peer.exited).stdout.trim().split('\n').at(-1), "b'abc'");
    assert.ok(r.events.some((e) => e.type === 'traffic' && e.event.type === 'half-close' && e.event.direction === 'out'));
  });

  it('recv line and recv exactly N cut the stream where asked, whatever the chunks', async () => {
    const bytes = Buffer.concat([Buffer.from('HELLO 1\r\nsecond line\n'), Buffer.from('0123456789tail')]);
    const { port } = await startPeer('stream_server.py', ['send', bytes.toString('hex')]);
    const r = await runSock(`### framing\nconnect tcp 127.0.0.1:${port}\nrecv line\nexpect "HELLO 1\\r\\n"\nrecv line\nexpect "second line\\n"\nrecv exactly 10\nexpect "0123456789"\nrecv all\nexpect "tail"\n`);
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    assert.deepEqual(r.steps.filter((s) => s.verb === 'recv').map((s) => s.payload?.toString()), ['HELLO 1\r\n', 'second line\n', '0123456789', 'tail']);
  });

  it('recv exactly reports how many bytes came when the peer closes early', async () => {
    const { port } = await startPeer('stream_server.py', ['send', '6162']);
    const r = await runSock(`### short\nconnect tcp 127.0.0.1:${port}\nrecv exactly 4\n`);
    assert.equal(r.steps[1].code, 'EOF');
    assert.match(r.steps[1].detail ?? '', /after 2 of 4 bytes/);
  });

  it('base64 and file payloads send exactly their bytes to a Python peer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-file-'));
    const binary = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x0a]);
    await writeFile(join(dir, 'payload.bin'), binary);
    const { port, peer } = await startPeer('stream_server.py', ['sink']);
    const r = await runSock(`### payloads\nconnect tcp 127.0.0.1:${port}\nsend base64 R0VUIC8=\nsend file payload.bin\nshutdown\nrecv all\nexpect "got 11 bytes"\n`, { baseDir: dir });
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    assert.equal((await peer.exited).stdout.trim().split('\n').at(-1), "b'GET /\\x00\\x01\\x02\\xfe\\xff\\n'");
    await rm(dir, { recursive: true, force: true });
  });

  it('a missing file payload is a clear ENOENT error naming the file', async () => {
    const { port } = await startPeer('stream_server.py', ['sink']);
    const r = await runSock(`### missing\nconnect tcp 127.0.0.1:${port}\nsend file nope.bin\n`, { baseDir: tmpdir() });
    assert.equal(r.steps[1].code, 'ENOENT');
    assert.equal(r.steps[1].detail, 'file nope.bin: no such file or directory (ENOENT)');
  });

  it('wait pauses the block for its duration', async () => {
    const r = await runSock('### pause\nwait 200ms\nhostname\n');
    assert.equal(r.steps[0].detail, 'waited 200 ms');
    assert.ok(r.steps[0].ms >= 190, `waited ${r.steps[0].ms} ms`);
  });
});

describe('.sock: repeat, kept connections and built-in variables', () => {
  it('repeat N every D sends N rounds at that rate to a Python UDP echo peer', async () => {
    const { port, peer } = await startPeer('udp.py', ['echo', '0', '3']);
    const r = await runSock(`### generator\nconnect udp 127.0.0.1:${port}\nrepeat 3 every 100ms\nsend "ping"\nrecv\nexpect "ping"\nend\n`);
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    assert.equal(r.steps.filter((s) => s.source === 'send "ping"').length, 3);
    const repeat = r.steps.find((s) => s.verb === 'repeat');
    assert.equal(repeat?.detail, '3 rounds');
    assert.ok((repeat?.ms ?? 0) >= 190, `3 rounds every 100 ms took ${repeat?.ms} ms`);
    assert.equal(r.summary.passed, 3);
    assert.equal((await peer.exited).code, 0, 'the peer saw exactly its 3 datagrams');
  });

  it('connect … as NAME keep leaves the connection open for a later use NAME block', async () => {
    const { port, peer } = await startPeer('stream_server.py', ['sink']);
    const r = await runSock(`### open\nconnect tcp 127.0.0.1:${port} as session keep\nsend "part1 "\n### lookup in between\nhostname\n### continue\nuse session\nsend "part2"\nshutdown\nrecv all\nexpect "got 11 bytes"\n`);
    assert.equal(r.exitCode, 0, JSON.stringify(r.steps.map((s) => [s.source, s.status, s.detail])));
    assert.equal((await peer.exited).stdout.trim().split('\n').at(-1), "b'part1 part2'");
    const opens = r.events.filter((e) => e.type === 'traffic' && e.event.type === 'open');
    assert.equal(opens.length, 1, 'one connection carried both blocks');
  });

  it('a kept connection is closed when the run stops', async () => {
    const { port, peer } = await startPeer('stream_server.py', ['sink']);
    const r = await runSock(`### open\nconnect tcp 127.0.0.1:${port} as s keep\nsend "x"\n`);
    assert.equal(r.exitCode, 0);
    assert.equal((await peer.exited).stdout.trim().split('\n').at(-1), "b'x'", 'the peer saw EOF once the run stopped');
  });

  it("a kept connection to the run's own listener closes first when the run stops: the listener's echo ends with it, not cut short", async () => {
    const r = await runSock('### echo\nlisten tcp 127.0.0.1:0 as echo\necho\n### keep\nconnect tcp {{echo}} as k keep\n### use\nuse k\nsend "a"\nrecv 1\nexpect "a"\n');
    assert.equal(r.exitCode, 0);
    const echo = r.steps.find((s) => s.verb === 'echo');
    assert.deepEqual([echo?.status, echo?.cut, echo?.detail], ['ok', undefined, '1 byte echoed']);
  });

  it('expands {{$timestamp}}, {{$randomInt A B}} and {{$env NAME}}, and refuses $env when the environment is off', async () => {
    process.env.SOCKET_LAB_TEST_VALUE = 'from-env';
    try {
      const text = '### l\nlisten tcp 127.0.0.1:0 as l\necho\n### c\nconnect tcp {{l}}\nsend "{{$timestamp}} {{$randomInt 7 8}} {{$env SOCKET_LAB_TEST_VALUE}}"\nshutdown\nrecv all\n';
      const r = await runSock(text);
      const [ts, n, env] = (r.steps.find((s) => s.source === 'recv all')?.payload?.toString() ?? '').split(' ');
      assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 10, ts);
      assert.equal(n, '7');
      assert.equal(env, 'from-env');
      const off = await runSock(text, { allowEnv: false });
      const send = off.steps.find((s) => s.verb === 'send');
      assert.equal(send?.code, 'EVARIABLE');
      assert.match(send?.detail ?? '', /reading the environment is off/);
    } finally {
      delete process.env.SOCKET_LAB_TEST_VALUE;
    }
  });
});

describe('.sock: error wording of framing steps', () => {
  it('recv line names itself when the peer closes before a line ends', async () => {
    const { port } = await startPeer('stream_server.py', ['send', '6e6f206e65776c696e65']);
    const r = await runSock(`### a\nconnect tcp 127.0.0.1:${port}\nrecv line\n`);
    assert.equal(r.steps[1].code, 'EOF');
    assert.equal(r.steps[1].detail, 'recv line: the peer closed the connection before the delimiter arrived; 10 bytes arrived: "no newline"');
  });
});

describe('.sock: echo', () => {
  it('echo timeout limits each wait for the next chunk, not the whole echo', async () => {
    // Gaps of 250 ms under an 800 ms limit (a wide margin on a loaded machine); silence of 1.5 s over it.
    const r = await runSock('### echo\nlisten tcp 127.0.0.1:0 as e\necho timeout 800ms\n### slow but steady client\nconnect tcp {{e}}\nsend "a"\nwait 250ms\nsend "b"\nwait 250ms\nsend "c"\nwait 250ms\nsend "d"\nshutdown\nrecv all\nexpect "abcd"\n### silent client\nconnect tcp {{e}}\nwait 1500ms\nsend "late"\nrecv all\n');
    const echoes = r.steps.filter((s) => s.verb === 'echo');
    assert.equal(echoes.length, 2);
    assert.equal(echoes[0].detail, '4 bytes echoed');
    assert.equal(echoes[1].code, 'ETIMEDOUT');
    assert.match(echoes[1].detail ?? '', /echo: no data for 800 ms/);
    assert.equal(r.steps.find((s) => s.source === 'expect "abcd"')?.status, 'pass');
  });
});
