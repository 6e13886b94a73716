// Files a .sock file names: only regular files are read, asynchronously, with the size limit on
// the bytes actually read; sessions that send one file share one copy of it. Each case runs the
// built CLI in a child process with a kill timer: a FIFO used to block its event loop for ever.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_FILE_PAYLOAD, readRegularFile } from '../../../src/sock/files';
import { CLI, cli, PEERS, start, tempSock } from '../helpers';

const LISTEN_AND_SEND = (payload: string): string => `### sink\nlisten tcp 127.0.0.1:0 as sink\nrecv all\n\n### sender\nconnect tcp {{sink}}\nsend ${payload}\n`;

describe('hostile files', function () {
  it('send file /dev/zero is refused before a byte is read: a character device, not a regular file', async () => {
    const f = await tempSock(LISTEN_AND_SEND('file /dev/zero'));
    const t0 = Date.now();
    const r = await cli(['run', f.file], { timeoutMs: 15_000 });
    await f.remove();
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /! \[c\d+\] send file \/dev\/zero\s+file \/dev\/zero: a character device, not a regular file: only regular files are read/);
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  });

  it('send file FIFO does not block the run: it is refused and the next block runs', async () => {
    const f = await tempSock(LISTEN_AND_SEND('file pipe') + '\n### after\naton 127.0.0.1\nexpect hex 7f000001\n');
    execFileSync('mkfifo', [join(f.dir, 'pipe')]);
    const r = await cli(['run', f.file], { timeoutMs: 15_000 });
    await f.remove();
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /file pipe: a FIFO \(named pipe\), not a regular file/);
    assert.match(r.stdout, /✓ expect hex 7f000001/);
  });

  it('a TLS client\'s ca /dev/urandom is refused the same way', async () => {
    const f = await tempSock('### tls\nconnect tls 127.0.0.1:9\nca /dev/urandom\n');
    const r = await cli(['run', f.file], { timeoutMs: 15_000 });
    await f.remove();
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /ca \/dev\/urandom: a character device, not a regular file/);
  });

  it('a sparse file larger than 64 MiB is refused with ETOOBIG', async () => {
    const f = await tempSock(LISTEN_AND_SEND('file big.bin'));
    const fh = await open(join(f.dir, 'big.bin'), 'w');
    await fh.truncate(64 * 1024 * 1024 + 1);
    await fh.close();
    const r = await cli(['run', f.file, '--json'], { timeoutMs: 15_000 });
    await f.remove();
    assert.equal(r.code, 2);
    assert.match(r.stdout, /"detail":"file big.bin: 67108865 bytes is more than the 67108864-byte limit of a file payload","code":"ETOOBIG"/);
  });

  it('sessions that read one file at the same moment share one read and one copy of its bytes', async () => {
    const f = await tempSock('');
    const fh = await open(join(f.dir, 'blob.bin'), 'w');
    await fh.write(Buffer.alloc(4 * 1024 * 1024, 0x62));
    await fh.close();
    const copies = await Promise.all(Array.from({ length: 8 }, () => readRegularFile(f.dir, 'blob.bin', 'file', MAX_FILE_PAYLOAD)));
    const later = await readRegularFile(f.dir, 'blob.bin', 'file', MAX_FILE_PAYLOAD);
    await f.remove();
    assert.equal(copies[0].length, 4 * 1024 * 1024);
    assert.ok(copies.every((c) => c === copies[0]), 'every concurrent reader got the same Buffer');
    assert.equal(later, copies[0], 'a reader while the bytes are still held gets them too');
  });

  it('a listener sending a 24 MiB file to 16 peers that never read holds one copy, not one per peer', async function () {
    this.timeout(60_000);
    const size = 24 * 1024 * 1024;
    const f = await tempSock('### big sender\nlisten tcp 127.0.0.1:0 as big\nsend file big.bin\nclose\n');
    const fh = await open(join(f.dir, 'big.bin'), 'w');
    await fh.write(Buffer.alloc(size, 0x61));
    await fh.close();
    const serving = start(process.execPath, [CLI, 'run', f.file, '--serve', '--for', '12s', '--timeout', '30s'], { timeoutMs: 40_000 });
    const port = (await serving.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1];
    const rss = (): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${serving.child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    const before = rss();
    const peers = start('python3', [join(PEERS, 'idle_clients.py'), port, '16', '6'], { timeoutMs: 30_000 });
    await peers.waitFor(/connected 16/, 15_000);
    for (let i = 0; i < 150 && (serving.stdout().match(/ accepted c\d+ from/g) ?? []).length < 16; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((serving.stdout().match(/ accepted c\d+ from/g) ?? []).length, 16, serving.stdout());
    await new Promise((r) => setTimeout(r, 500));
    // Each session has read the file and queued its send by now; sample the CLI's resident memory.
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      peak = Math.max(peak, rss());
      await new Promise((r) => setTimeout(r, 200));
    }
    await peers.exited;
    await serving.exited;
    await f.remove();
    // One copy is 24 MiB; one per peer would be 384 MiB. Allow room for a copy in reading and for
    // garbage not yet collected, far below what one copy per peer takes.
    const grew = peak - before;
    assert.ok(grew < 6 * size, `resident memory grew by ${(grew / 1048576).toFixed(0)} MiB with 16 idle peers (from ${(before / 1048576).toFixed(0)} MiB)`);
  });
});
