// A replay must dial the socket path it recorded, whatever the path looks like to the parser.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrafficCapture } from '../../../src/net/capture';
import { StreamListener } from '../../../src/net/listener';
import { StreamConnection } from '../../../src/net/stream';
import { TrafficBus, type TrafficEvent } from '../../../src/net/traffic';
import { parseSock } from '../../../src/sock/parser';
import { replayBlock } from '../../../src/sock/replay';
import { cli } from '../helpers';

const OPTS = { timeoutMs: 5000 };

/** The path a replay's `connect unix` dials, read back with the real parser (no diagnostics). */
function dialled(text: string): string {
  const parsed = parseSock(text);
  assert.deepEqual(parsed.diagnostics, [], text);
  const header = parsed.blocks[0].header;
  assert.ok(header?.kind === 'connect' && header.transport === 'unix', text);
  return header.target.parts
    .map((part) => {
      if ('text' in part) return part.text;
      assert.ok('variable' in part, text);
      const value = parsed.variables.get(part.variable)?.value.parts ?? [];
      return value.map((p) => ('text' in p ? p.text : assert.fail(`a reference in ${text}`))).join('');
    })
    .join('');
}

describe('hostile: a replay of a Unix connection whose path looks like a comment', () => {
  it('spells //, # and a path with spaces after them so the parser reads the recorded path back', () => {
    for (const path of ['//tmp/lab.socket', '#lab.socket', '//tmp/my lab/x.socket', '#a b', '// x', '#']) {
      const events = [
        { ts: 1, type: 'open', id: 'c1', transport: 'unix', local: '(unnamed)', remote: path },
        { ts: 2, type: 'data', id: 'c1', direction: 'out', payload: Buffer.from('x') },
      ] as unknown as TrafficEvent[];
      assert.equal(dialled(replayBlock(events, 'c1').text), path, path);
    }
  });

  it('a replay of a connection to //tmp/…/echo.socket dials that socket, not the folder of its .sock file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-hostile-replay-'));
    const sockDir = await mkdtemp(join(tmpdir(), 'socket-lab-hostile-replay-file-'));
    const path = `/${join(dir, 'echo.socket')}`; // "//tmp/…": the same file to the kernel
    assert.ok(path.startsWith('//'));
    const bus = new TrafficBus();
    const capture = new TrafficCapture(bus);
    const listener = await StreamListener.listen({ transport: 'unix', path }, {}, bus, (conn) => {
      void (async () => {
        const got = await conn.recvExactly(5, OPTS);
        await conn.send(Buffer.concat([Buffer.from('echo '), got]), OPTS);
        await conn.close();
      })().catch(() => undefined);
    });
    try {
      const client = await StreamConnection.connect({ transport: 'unix', path }, OPTS, bus);
      await client.send(Buffer.from('hello'), OPTS);
      assert.equal((await client.recvExactly(10, OPTS)).toString(), 'echo hello');
      await client.close();
      const events = capture.events();
      const open = events.find((e) => e.type === 'open' && e.listener === undefined);
      assert.ok(open);
      const { text } = replayBlock(events, open.id);

      const file = join(sockDir, 'replay.sock');
      await writeFile(file, text);
      const r = await cli(['run', file], { timeoutMs: 15_000 });
      assert.equal(r.code, 0, `${text}\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /→ \/+tmp\/socket-lab-hostile-replay-\w+\/echo\.socket .*\n.*\n.*\n.*✓ \[c\d+\] expect "echo hello"/, r.stdout);
      assert.match(r.stdout, /\b0 failed/, r.stdout);
      assert.equal(dialled(text), path);
    } finally {
      await capture.dispose();
      await listener.close();
      await rm(dir, { recursive: true, force: true });
      await rm(sockDir, { recursive: true, force: true });
    }
  });
});
