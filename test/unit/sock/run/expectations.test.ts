import { strict as assert } from 'node:assert';
import type { Matcher } from '../../../../src/sock/ast';
import { createError, fromNodeError } from '../../../../src/net/errors';
import { parseSock } from '../../../../src/sock/parser';
import { checkExpectation, type Evidence, type Verdict } from '../../../../src/sock/run/expectations';
import { PayloadBuilder } from '../../../../src/sock/run/payloads';
import { Scope } from '../../../../src/sock/scope';

/** Checks the `expect` of `line` (with the file variables in `vars`) against `evidence`. */
async function judge(line: string, evidence: Evidence, opts: { vars?: string; eol?: 'crlf' | 'lf' } = {}): Promise<Verdict> {
  const file = parseSock(`${opts.vars ?? ''}### t\nhostname\n${line}\n`);
  assert.deepEqual(file.diagnostics.filter((d) => d.severity === 'error'), [], 'the test file parses');
  const step = file.blocks[0].steps[1];
  if (step.kind !== 'expect') throw new Error('no expect step');
  const builder = new PayloadBuilder(new Scope(file, () => undefined, true), '/');
  return checkExpectation(step.matcher as Matcher, evidence, opts.eol ?? 'crlf', (p, eol) => builder.pattern(p, eol));
}

const reply = (text: string): Evidence => ({ last: Buffer.from(text) });

describe('expect verdicts', () => {
  it('a payload holds when its bytes appear anywhere in the last value', async () => {
    // The span is where the payload was found: the traffic view marks those bytes.
    assert.deepEqual(await judge('expect "OK"', reply('+OK ready\r\n')), { pass: true, detail: 'found "OK"', span: { offset: 1, length: 2 } });
    assert.deepEqual(await judge('expect hex 2b4f', reply('+OK')), { pass: true, detail: 'found "+O"', span: { offset: 0, length: 2 } });
  });

  it('a payload that is missing fails and shows what was received', async () => {
    assert.deepEqual(await judge('expect "OK"', reply('-ERR no\r\n')), { pass: false, detail: '"OK" not in 9 bytes "-ERR no\\r\\n"', compared: { expected: 'OK', actual: '-ERR no\\r\\n' } });
  });

  it('the detail of a failure shows the first 64 bytes of a long reply, escaped', async () => {
    const v = await judge('expect "zz"', { last: Buffer.concat([Buffer.from([0, 0xff]), Buffer.alloc(200, 0x61)]) });
    assert.deepEqual(v, { pass: false, detail: `"zz" not in 202 bytes "\\0\\xff${'a'.repeat(62)}…"`, compared: { expected: 'zz', actual: `\\0\\xff${'a'.repeat(200)}` } });
  });

  it('the expected payload expands variables, and a heredoc ends its lines with the eol given', async () => {
    assert.equal((await judge('expect "{{word}}"', reply('say hello'), { vars: '@word = hello\n' })).pass, true);
    const heredoc = 'expect <<END\nA\nEND';
    assert.equal((await judge(heredoc, reply('A\r\n'), { eol: 'crlf' })).pass, true);
    assert.equal((await judge(heredoc, reply('A\n'), { eol: 'crlf' })).pass, false);
    assert.equal((await judge(heredoc, reply('A\n'), { eol: 'lf' })).pass, true);
  });

  it('an expected payload that cannot be made is an error, not a verdict', async () => {
    await assert.rejects(judge('expect "{{missing}}"', reply('x'), { vars: '@missing = {{missing}}\n' }), { code: 'EVARIABLE' });
  });

  it('a regex tests the last value and names itself in the detail', async () => {
    assert.deepEqual(await judge('expect /^\\+ok/i', reply('+OK\r\n')), { pass: true, detail: 'matches /^\\+ok/i' });
    assert.deepEqual(await judge('expect /^\\d+$/', reply('12a')), { pass: false, detail: '/^\\d+$/ does not match 3 bytes "12a"', compared: { expected: '/^\\d+$/', actual: '12a' } });
  });

  it('a regex sees bytes that are not UTF-8 one byte per character', async () => {
    assert.equal((await judge('expect /^\\xbe\\xef/', { last: Buffer.from([0xbe, 0xef, 0x00]) })).pass, true);
  });

  it('with nothing received or looked up, a payload or regex fails and says so', async () => {
    const nothing = { pass: false, detail: 'nothing was received or looked up before this expect' };
    assert.deepEqual(await judge('expect "x"', {}), nothing);
    assert.deepEqual(await judge('expect /x/', {}), nothing);
  });

  it('expect error holds when the step before failed, and shows its message', async () => {
    const lastError = fromNodeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'connect tcp 127.0.0.1:9');
    assert.deepEqual(await judge('expect error', { lastError }), { pass: true, detail: lastError.message });
    assert.deepEqual(await judge('expect error ECONNREFUSED', { lastError }), { pass: true, detail: lastError.message });
    assert.deepEqual(await judge('expect error "refused"', { lastError }), { pass: true, detail: lastError.message });
    assert.deepEqual(await judge('expect error /there \\(E[A-Z]+\\)$/', { lastError }), { pass: true, detail: lastError.message });
  });

  it('a failure beyond 4 KiB shows 4 KiB of each side and says how long the value was', async () => {
    const v = await judge('expect "zz"', { last: Buffer.alloc(5000, 0x62) });
    assert.equal(v.compared?.actual, `${'b'.repeat(4096)}… (5000 bytes)`);
  });

  it('expect error fails with what happened instead', async () => {
    const lastError = createError('ETIMEDOUT', 'recv: timed out after 100 ms');
    assert.deepEqual(await judge('expect error', reply('fine')), { pass: false, detail: 'expected an error, but the step before succeeded' });
    assert.deepEqual(await judge('expect error ECONNREFUSED', { lastError }), { pass: false, detail: 'expected ECONNREFUSED, got ETIMEDOUT: recv: timed out after 100 ms', compared: { expected: 'ECONNREFUSED', actual: 'ETIMEDOUT' } });
    assert.deepEqual(await judge('expect error "refused"', { lastError }), { pass: false, detail: 'the error "recv: timed out after 100 ms" does not match' });
  });
});
