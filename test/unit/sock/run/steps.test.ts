import { strict as assert } from 'node:assert';
import { createError } from '../../../../src/net/errors';
import type { RecvOptions } from '../../../../src/net/stream';
import { SENT, type WaitOptions } from '../../../../src/net/wait';
import type { Step } from '../../../../src/sock/ast';
import type { Channel } from '../../../../src/sock/channel';
import { parseSock } from '../../../../src/sock/parser';
import { PayloadBuilder } from '../../../../src/sock/run/payloads';
import { StepExecutor, type StepContext } from '../../../../src/sock/run/steps';
import { Scope } from '../../../../src/sock/scope';

/** A channel that answers from a script and records what the steps asked of it. */
class ScriptedChannel implements Channel {
  readonly id = 'c1';
  readonly calls: { op: string; arg?: unknown; timeoutMs?: number; label?: string }[] = [];
  constructor(private readonly reply: Buffer = Buffer.alloc(0)) {}
  async send(data: Buffer, opts: WaitOptions): Promise<void> {
    this.calls.push({ op: 'send', arg: data, timeoutMs: opts.timeoutMs });
  }
  async recv(max: number | undefined, opts: WaitOptions): Promise<Buffer> {
    this.calls.push({ op: 'recv', arg: max, timeoutMs: opts.timeoutMs });
    return this.reply;
  }
  async recvUntil(delimiter: Buffer, opts: RecvOptions): Promise<Buffer> {
    this.calls.push({ op: 'recvUntil', arg: delimiter, timeoutMs: opts.timeoutMs, ...(opts.label ? { label: opts.label } : {}) });
    return this.reply;
  }
  async recvAll(opts: RecvOptions): Promise<Buffer> {
    this.calls.push({ op: 'recvAll', timeoutMs: opts.timeoutMs });
    return this.reply;
  }
  async recvExactly(n: number, opts: WaitOptions): Promise<Buffer> {
    this.calls.push({ op: 'recvExactly', arg: n, timeoutMs: opts.timeoutMs });
    return this.reply;
  }
  shutdown(): boolean {
    this.calls.push({ op: 'shutdown' });
    return this.calls.filter((c) => c.op === 'shutdown').length === 1;
  }
  async echo(opts: WaitOptions): Promise<number> {
    this.calls.push({ op: 'echo', timeoutMs: opts.timeoutMs });
    return 12;
  }
  async close(): Promise<void> {
    this.calls.push({ op: 'close' });
  }
}

/** The steps of a block of `text` under `header`, and an executor with a 700 ms default timeout. */
function setup(text: string, header = 'connect tcp 127.0.0.1:9'): { steps: readonly Step[]; executor: StepExecutor } {
  const file = parseSock(`### t\n${header}\n${text}`);
  assert.deepEqual(file.diagnostics.filter((d) => d.severity === 'error'), [], 'the test file parses');
  const scope = new Scope(file, () => undefined, true);
  return { steps: file.blocks[0].steps, executor: new StepExecutor(scope, new PayloadBuilder(scope, '/'), 700) };
}

function on(channel: Channel | undefined, eol: 'crlf' | 'lf' = 'crlf'): StepContext {
  return { channel, connectError: undefined, eol, signal: new AbortController().signal };
}

describe('one step on a channel', () => {
  it('send builds the payload with the block eol and reports the bytes sent', async () => {
    const { steps, executor } = setup('send <<END\nhi\nEND\n');
    const ch = new ScriptedChannel();
    const r = await executor.exec(steps[0], on(ch, 'lf'));
    assert.deepEqual(r, { payload: Buffer.from('hi\n'), direction: 'out', detail: '3 bytes' });
    assert.deepEqual(ch.calls, [{ op: 'send', arg: Buffer.from('hi\n'), timeoutMs: 700 }]);
  });

  it('each recv form asks the channel for its framing, with the step timeout or the run default', async () => {
    const { steps, executor } = setup('recv\nrecv 5\nrecv exactly 4 timeout 2s\nrecv line\nrecv until "\\r\\n\\r\\n"\nrecv all timeout 150ms\n');
    const ch = new ScriptedChannel(Buffer.from('data'));
    for (const step of steps) {
      const r = await executor.exec(step, on(ch));
      assert.deepEqual(r, { value: Buffer.from('data'), payload: Buffer.from('data'), direction: 'in', detail: '4 bytes' });
    }
    assert.deepEqual(ch.calls, [
      { op: 'recv', arg: undefined, timeoutMs: 700 },
      { op: 'recv', arg: 5, timeoutMs: 700 },
      { op: 'recvExactly', arg: 4, timeoutMs: 2000 },
      { op: 'recvUntil', arg: Buffer.from('\n'), timeoutMs: 700, label: 'recv line' },
      { op: 'recvUntil', arg: Buffer.from('\r\n\r\n'), timeoutMs: 700 },
      { op: 'recvAll', timeoutMs: 150 },
    ]);
  });

  it('a recv of 0 bytes says the peer closed its side', async () => {
    const { steps, executor } = setup('recv\n');
    assert.equal((await executor.exec(steps[0], on(new ScriptedChannel()))).detail, '0 bytes: the peer closed its side');
  });

  it('shutdown, close and echo say what they did', async () => {
    const { steps, executor } = setup('shutdown\nshutdown\nclose\n');
    const ch = new ScriptedChannel();
    const details = [];
    for (const step of steps) details.push((await executor.exec(step, on(ch))).detail);
    assert.deepEqual(details, ['sent FIN; still receiving', 'already shut down; nothing sent', 'closed']);
    const listener = setup('echo timeout 1s\n', 'listen tcp 127.0.0.1:0');
    assert.equal((await listener.executor.exec(listener.steps[0], on(ch))).detail, '12 bytes echoed');
    assert.deepEqual(ch.calls.at(-1), { op: 'echo', timeoutMs: 1000 });
  });

  it('a step that needs a connection fails with ECLOSED, naming why the connect failed', async () => {
    const { steps, executor } = setup('send "x"\n');
    const connectError = createError('ETIMEDOUT', 'connect tcp 192.0.2.1:9: timed out after 700 ms');
    await assert.rejects(async () => executor.exec(steps[0], { ...on(undefined), connectError }), { code: 'ECLOSED', message: `send: no connection: ${connectError.message}` });
    await assert.rejects(async () => executor.exec(steps[0], on(undefined)), { code: 'ECLOSED', message: 'send: no connection' });
  });

  it('lookups need no channel and leave their answer as the value', async () => {
    const { steps, executor } = setup('aton 127.0.0.1\nntop 00000000000000000000000000000001\n');
    assert.deepEqual(await executor.exec(steps[0], on(undefined)), { value: Buffer.from([127, 0, 0, 1]), detail: '7f 00 00 01  "\\x7f\\0\\0\\x01"' });
    assert.deepEqual(await executor.exec(steps[1], on(undefined)), { value: Buffer.from('::1'), detail: '::1' });
  });

  it('a literal send the socket took at once has its result without waiting; one it did not, a promise of the same', async () => {
    const { steps, executor } = setup('send "PING\\n"\n');
    const taken = new ScriptedChannel();
    taken.send = (data: Buffer): Promise<void> => {
      taken.calls.push({ op: 'send', arg: data });
      return SENT;
    };
    const expected = { payload: Buffer.from('PING\n'), direction: 'out', detail: '5 bytes' };
    const at = executor.exec(steps[0], on(taken));
    assert.ok(!(at instanceof Promise), 'a send the socket took returns its result itself');
    assert.deepEqual(at, expected);
    const later = executor.exec(steps[0], on(new ScriptedChannel()));
    assert.ok(later instanceof Promise);
    assert.deepEqual(await later, expected);
    assert.equal(taken.calls.length, 1);
  });

  it('wait ends with ECANCELED when the signal aborts', async () => {
    const { steps, executor } = setup('wait 10s\n');
    const ac = new AbortController();
    const waiting = executor.exec(steps[0], { ...on(undefined), signal: ac.signal });
    ac.abort();
    await assert.rejects(async () => waiting, { code: 'ECANCELED' });
  });
});
