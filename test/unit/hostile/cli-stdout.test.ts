// `socket-lab run x.sock --json | head -1`: a reader that goes away ends the run quietly.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, start, tempSock } from '../helpers';

/** A run that would go on for 30 s and more, writing a line every 20 ms, with a Unix listener to clean up. */
const ENDLESS = [
  '### l',
  'listen unix lab.socket as l',
  'echo',
  '### chatter',
  'connect unix {{l}}',
  'repeat 1500 every 20ms',
  'send "tick\\n"',
  'recv exactly 5',
  'end',
  '',
].join('\n');

/** Runs the CLI with `args`, closing its stdout after the first line as `| head -1` does. */
async function headOne(args: readonly string[]): Promise<{ code: number | null; stderr: string; first: string; afterCloseMs: number; socketLeft: boolean }> {
  const f = await tempSock(ENDLESS);
  try {
    const child = start(process.execPath, [CLI, 'run', f.file, ...args], { timeoutMs: 20_000 });
    const first = await new Promise<string>((resolve) => {
      let buf = '';
      const onData = (d: Buffer): void => {
        buf += d.toString();
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        child.child.stdout?.off('data', onData);
        child.child.stdout?.destroy();
        resolve(buf.slice(0, nl));
      };
      child.child.stdout?.on('data', onData);
    });
    const closed = Date.now();
    const r = await child.exited;
    return { code: r.code, stderr: r.stderr, first, afterCloseMs: Date.now() - closed, socketLeft: existsSync(join(f.dir, 'lab.socket')) };
  } finally {
    await f.remove();
  }
}

describe('hostile: the reader of stdout goes away (| head -1)', () => {
  for (const args of [['--json'], [], ['--json', '--serve']]) {
    it(`run x.sock ${args.join(' ')}: no stack trace, the sockets close, exit 141 (SIGPIPE) at once`, async () => {
      const r = await headOne(args);
      // The transcript starts with a blank line before its first block.
      assert.match(r.first, args.includes('--json') ? /^\{"type":"block"/ : /^$/);
      assert.equal(r.stderr, '', 'nothing on stderr: no EPIPE stack trace');
      assert.equal(r.code, 141, r.stderr);
      assert.equal(r.socketLeft, false, 'the Unix listener closed and removed its socket file');
      assert.ok(r.afterCloseMs < 3000, `exited ${r.afterCloseMs} ms after stdout closed`);
    });
  }
});
