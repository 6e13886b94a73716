import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cli, CLI, PEERS, ROOT, run, start, tempSock } from './helpers';

describe('socket-lab run (the CLI)', function () {
  it('runs the tutorial end to end: a transcript of every example, exit 0, no socket file left', async () => {
    const r = await cli(['run', 'examples/tutorial.sock']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    for (const expected of [
      /### 1 · Ask the machine its name/,
      /✓ expect "127\.0\.0\.1"/,
      /· service http udp\s+service\/proto not found: http\/udp {2}\(expected\)/,
      /aton 127\.0\.0\.1\s+7f 00 00 01/,
      /◉ listen tcp \{\{loopback\}\}:0 as greeter\s+listening on 127\.0\.0\.1:\d+/,
      /← \[c\d+\] recv 1024\s+24 bytes {2}"Thank you for connecting"/,
      /→ \[c\d+\] send <<END\s+\d+ bytes {2}"GET \/ HTTP\/1\.0\\r\\nHost: 127\.0\.0\.1\\r\\n\\r\\n"/,
      /← \[c\d+\] recv all\s+\d+ bytes {2}"HTTP\/1\.0 200 OK\\r\\n/,
      /✓ \[u\d+\] expect "ping over UDP"/,
      /✓ \[c\d+\] expect "over a Unix socket"/,
      /✓ expect error ECONNREFUSED/,
      /^28 passed, 0 failed in \d+/m,
    ]) {
      assert.match(r.stdout, expected);
    }
    assert.equal(existsSync(join(ROOT, 'examples', 'tutorial-echo.socket')), false);
  });

  it("runs the tutorial's part 2: several clients at once, a recv timeout, sendall, a half-close and a reset, each block passing", async () => {
    const r = await cli(['run', 'examples/tutorial.sock']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    /** The transcript of block `n`, from its title to the next block's (sessions' lines land where they run). */
    const block = (n: number): string => {
      const start = r.stdout.indexOf(`### ${n} · `);
      assert.notEqual(start, -1, `block ${n} is in the transcript`);
      const end = r.stdout.indexOf('\n### ', start + 1);
      return r.stdout.slice(start, end === -1 ? undefined : end);
    };
    const part2: [number, RegExp, ...RegExp[]][] = [
      [14, /Part 2: a server for several clients at once/, /◉ listen tcp \{\{loopback\}\}:0 as tcpecho\s+listening on 127\.0\.0\.1:\d+/],
      [15, /The first client connects/, /✓ \[c\d+\] expect "first: hello"/],
      [16, /A second client is served while the first is still connected/, /• \[c\d+\] await tcpecho accepted 2 timeout 1s\s+2 connections accepted/, /✓ \[c\d+\] expect "second: hello"/],
      [17, /The first client is still served/, /⇄ \[c\d+\] use first/, /✓ \[c\d+\] expect "first: still here"/],
      [18, /A recv that would wait forever/, /· \[c\d+\] recv timeout 500ms\s+recv: timed out after 500 ms {2}\(expected\)/, /✓ \[c\d+\] expect error ETIMEDOUT/, /✓ \[c\d+\] expect "after the timeout"/],
      [19, /reads exactly one mebibyte/, /◉ listen tcp \{\{loopback\}\}:0 as bulk/],
      [20, /send versus sendall/, /→ \[c\d+\] send "\{\{megabyte\}\}"\s+1048576 bytes/, /← \[bulk c\d+\] recv exactly 1048576\s+1048576 bytes/, /✓ \[bulk c\d+\] expect bytes 1048576/, /✓ \[c\d+\] expect "all 1048576 bytes arrived"/],
      [21, /reads until the client is done/, /◉ listen tcp \{\{loopback\}\}:0 as reader/],
      [22, /Half-close — shutdown\(SHUT_WR\)/, /• \[c\d+\] shutdown\s+sent FIN; still receiving/, /✓ \[reader c\d+\] expect exactly "a request in two sends"/, /✓ \[c\d+\] expect "the answer, sent after your FIN"/, /✓ \[c\d+\] expect closed/],
      [23, /aborts the connection/, /◉ listen tcp \{\{loopback\}\}:0 as rude/],
      [24, /The peer of a reset/, /• \[rude c\d+\] reset\s+reset \(RST sent\)/, /· \[c\d+\] recv\s+tcp 127\.0\.0\.1:\d+: connection reset by peer \(ECONNRESET\) {2}\(expected\)/, /✓ \[c\d+\] expect error ECONNRESET/],
    ];
    for (const [n, ...expected] of part2) {
      const text = block(n);
      for (const e of expected) assert.match(text, e, `block ${n}`);
      assert.doesNotMatch(text, /^ {2}[✗!] /m, `block ${n} has no failed expect and no error`);
    }
    // Concurrency: the first client's session (13 + 18 bytes) ends only after the second was served.
    assert.ok(r.stdout.indexOf('expect "second: hello"') < r.stdout.search(/• \[tcpecho c\d+\] echo\s+31 bytes echoed/), 'the first session outlives the second');
    // The half-close: the client's FIN goes out before the reader's answer does.
    assert.ok(block(22).indexOf('• [c') < block(22).search(/→ \[reader c\d+\] send/), 'the FIN before the reply');
    assert.match(r.stdout, /^28 passed, 0 failed in \d+/m);
  });

  it('loads the certificate library only for a self-signed certificate: other runs leave the global Reflect untouched', async () => {
    // The library's reflect-metadata adds Reflect.getMetadata; the extension host shares Reflect with every extension.
    const probe = (file: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      run(process.execPath, ['-e', [
        `process.argv = [process.argv[0], ${JSON.stringify(CLI)}, 'run', ${JSON.stringify(file)}];`,
        "process.on('exit', () => process.stderr.write('probe ' + JSON.stringify({ reflect: typeof Reflect.getMetadata, loaded: Object.keys(require.cache).some((p) => p.endsWith('selfsigned.js')) }) + '\\n'));",
        `require(${JSON.stringify(CLI)});`,
      ].join('\n')]);
    const plain = await probe(join(ROOT, 'examples', 'tutorial.sock'));
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.match(plain.stderr, /probe \{"reflect":"undefined","loaded":false\}/);
    const f = await tempSock('### listener\nlisten tls 127.0.0.1:0 as s\nself-signed\nsend "hello"\nclose\n### client\nconnect tls {{s}}\ninsecure\nrecv\nexpect "hello"\n');
    const tls = await probe(f.file);
    assert.equal(tls.code, 0, tls.stdout + tls.stderr);
    assert.match(tls.stdout, /self-signed certificate CN=localhost/);
    assert.match(tls.stderr, /probe \{"reflect":"function","loaded":true\}/);
    await f.remove();
  });

  it('--json prints one JSON object per event, payloads as bytes, escaped text and hex', async () => {
    const r = await cli(['run', 'examples/tutorial.sock', '--json', '--block', '5', '--block', '6']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    const recv = events.find((e) => e.type === 'step' && e.source === 'recv 1024') as { payload: { bytes: number; text: string; hex: string } } | undefined;
    assert.deepEqual(recv?.payload, { bytes: 24, text: 'Thank you for connecting', hex: Buffer.from('Thank you for connecting').toString('hex') });
    assert.deepEqual(events.filter((e) => e.type === 'block').map((e) => e.block), [5, 6]);
    assert.ok(events.some((e) => e.type === 'traffic' && (e.event as { type: string }).type === 'open'));
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'summary', passed: 1, failed: 0, errors: 0 });
  });

  it('--hex shows payloads as an xxd-style dump', async () => {
    const r = await cli(['run', 'examples/tutorial.sock', '--hex', '--block', '5', '--block', '6']);
    assert.match(r.stdout, /00000000: 5468 616e 6b20 796f 7520 666f 7220 636f {2}Thank you for co/);
  });

  it('exits 1 when an expectation fails', async () => {
    const f = await tempSock('### l\nlisten tcp 127.0.0.1:0 as l\nsend "pong"\n### c\nconnect tcp {{l}}\nrecv\nexpect "ping"\n');
    const r = await cli(['run', f.file]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /✗ \[c\d+\] expect "ping"\s+"ping" not in 4 bytes "pong"/);
    assert.match(r.stdout, /0 passed, 1 failed/);
    await f.remove();
  });

  it('a malformed file: exit 2, every error as file:line:column, nothing run, no stack trace', async () => {
    const f = await tempSock('### bad\nconnect tcp localhost\nrecv forever\n### also bad\nsend "x"\n');
    const r = await cli(['run', f.file]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), [
      `${f.file}:2:13: error: "localhost": expected HOST:PORT, e.g. 127.0.0.1:8080`,
      `${f.file}:3:6: error: recv takes N, exactly N, line, until PAYLOAD, all, or nothing; not "forever"`,
      `${f.file}:5:1: error: send needs a connection: start the block with connect, listen or use`,
    ]);
    assert.match(lines[3], /has errors; nothing was run/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    await f.remove();
  });

  it('a network error: exit 2 with the file, line and column of the step', async () => {
    const f = await tempSock('### refused\nconnect tcp 127.0.0.1:1\n');
    const r = await cli(['run', f.file]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /! connect tcp 127\.0\.0\.1:1\s+connect tcp 127\.0\.0\.1:1: connection refused: nothing is listening there \(ECONNREFUSED\)/);
    assert.match(r.stdout, /0 passed, 0 failed, 1 error/);
    await f.remove();
  });

  it('usage errors exit 2 with a message: missing file, unknown block, --for without --serve', async () => {
    const missing = await cli(['run', 'no/such/file.sock']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read no\/such\/file\.sock: ENOENT/);
    const block = await cli(['run', 'examples/tutorial.sock', '--block', '99']);
    assert.equal(block.code, 2);
    assert.match(block.stderr, /has 24 blocks; no block 99/);
    const forOnly = await cli(['run', 'examples/tutorial.sock', '--for', '1s']);
    assert.equal(forOnly.code, 2);
    assert.match(forOnly.stderr, /--for needs --serve/);
    const badDuration = await cli(['run', 'examples/tutorial.sock', '--serve', '--for', 'soon']);
    assert.equal(badDuration.code, 2);
    assert.match(badDuration.stderr, /30s, 500ms or 2m/);
  });

  it('--serve keeps listeners open for --for, serving a Python client, then exits 0', async () => {
    const f = await tempSock('### greeter\nlisten tcp 127.0.0.1:0 as greeter\nsend "Thank you for connecting"\nclose\n');
    const served = start(process.execPath, [CLI, 'run', f.file, '--serve', '--for', '3s']);
    const port = (await served.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1];
    await served.waitFor(/serving: listeners stay open for 3 s/);
    const client = await start('python3', [join(PEERS, 'client.py'), port]).exited;
    assert.equal(client.stdout.trim(), "b'Thank you for connecting'");
    const r = await served.exited;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /greeter accepted c\d+ from 127\.0\.0\.1:\d+/);
    assert.match(r.stdout, /0 passed, 0 failed/);
    await f.remove();
  });

  it('--serve stops cleanly on SIGTERM, exiting 1 if a listener expectation had failed', async () => {
    const f = await tempSock('### strict\nlisten tcp 127.0.0.1:0 as strict\nrecv\nexpect "HELLO"\n');
    const served = start(process.execPath, [CLI, 'run', f.file, '--serve']);
    const port = (await served.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1];
    await served.waitFor(/serving: listeners stay open until Ctrl-C/);
    await start('python3', [join(PEERS, 'client.py'), port, '127.0.0.1', 'goodbye']).exited;
    await served.waitFor(/✗ \[strict c\d+\] expect "HELLO"/);
    served.child.kill('SIGTERM');
    const r = await served.exited;
    assert.equal(r.code, 1, r.stdout + r.stderr);
    await f.remove();
  });
});

describe('socket-lab run, interrupted', () => {
  it('Ctrl-C during a long repeat stops at once, reports the cut repeat before the summary, and exits 130', async () => {
    const f = await tempSock('### l\nlisten udp 127.0.0.1:0 as sink\nrecv\n### slow generator\nconnect udp {{sink}}\nrepeat 1000 every 50ms\nsend "tick"\nend\n### never reached\nhostname\n');
    const runCli = start(process.execPath, [CLI, 'run', f.file]);
    await runCli.waitFor(/→ \[u\d+\] send "tick"[\s\S]*→ \[u\d+\] send "tick"/);
    runCli.child.kill('SIGINT');
    const r = await runCli.exited;
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stdout, /! \[u\d+\] repeat 1000 every 50ms\s+cancelled after \d+ rounds of 1000[\s\S]*\n\d+ passed, 0 failed/);
    assert.doesNotMatch(r.stdout, /never reached/);
    assert.match(r.stderr, /interrupted before every block had run/);
    await f.remove();
  });
});
