// Variables that use each other more than once grow exponentially, in size or in work. Each
// expansion is bounded (EXPANSION_LIMITS) and fails at once with EVARIABLE naming the variable.
// The cases run the built CLI in a child process with a kill timer: without the bounds they run
// for ever (or for minutes, growing towards gigabytes), which fails the test instead of mocha.
import { strict as assert } from 'node:assert';
import { EXPANSION_LIMITS } from '../../../src/sock/scope';
import { cli, tempSock } from '../helpers';

/** `@v0 = first`, then `@vN = {{vN-1}}{{vN-1}}` up to `@v{levels}`. */
function doubling(levels: number, first: string): string {
  const lines = [`@v0 = ${first}`];
  for (let n = 1; n <= levels; n++) lines.push(`@v${n} = {{v${n - 1}}}{{v${n - 1}}}`);
  return lines.join('\n') + '\n';
}

async function runBounded(text: string, ...flags: string[]): Promise<{ code: number | null; out: string; ms: number }> {
  const f = await tempSock(text);
  const t0 = Date.now();
  const r = await cli(['run', f.file, ...flags], { timeoutMs: 20_000 });
  await f.remove();
  return { code: r.code, out: r.stdout + r.stderr, ms: Date.now() - t0 };
}

describe('hostile variable expansion', function () {
  it('40 variables that each double the one before (881 bytes of file) fail at once: too deep', async () => {
    const text = doubling(40, 'x') + '### lookup\naton {{v40}}\n';
    assert.ok(text.length < 1000);
    const r = await runBounded(text);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, new RegExp(`! aton \\{\\{v40\\}\\}\\s+variable "v40" nests variables more than ${EXPANSION_LIMITS.maxDepth} deep \\(through "v\\d+"\\)`));
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    const json = await runBounded(text, '--json');
    assert.match(json.out, /"source":"aton \{\{v40\}\}"[^\n]*"code":"EVARIABLE"/);
  });

  it('30 levels of empty values fail on the work, before 2^30 references', async () => {
    const r = await runBounded(doubling(30, '') + '### lookup\naton {{v30}}\n');
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /variable "v30" needs more than 100,000 variable references to expand \(through "v\d+"\): do variables use each other more than once\?/);
  });

  it('a 1 MB value doubled 9 times fails when the payload passes 16 MiB, not at 1.5 GiB', async () => {
    const text = doubling(9, 'a'.repeat(1_000_000)) + '### sink\nlisten tcp 127.0.0.1:0 as sink\nrecv all\n\n### sender\nconnect tcp {{sink}}\nsend "{{v9}}"\n';
    const r = await runBounded(text);
    assert.equal(r.code, 2, r.out.slice(0, 2000));
    assert.match(r.out, /! \[c\d+\] send "\{\{v9\}\}"\s+variable "v9" expands past 16,777,216 characters \(through "v\d+"\)/);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  });

  it('a payload of many parts is bounded as a whole', async () => {
    const parts = Array.from({ length: 5 }, () => '{{v3}}').join('');
    const r = await runBounded(doubling(3, 'b'.repeat(1_000_000)) + `### sink\nlisten tcp 127.0.0.1:0 as sink\nrecv all\n\n### sender\nconnect tcp {{sink}}\nsend "${parts}"\n`);
    assert.equal(r.code, 2, r.out.slice(0, 2000));
    assert.match(r.out, /variable "v3" expands past 16,777,216 characters/);
  });

  it('a variable that refers to itself through another still says so', async () => {
    const r = await runBounded('@a = {{b}}\n@b = x{{a}}\n### lookup\naton {{a}}\n');
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /variable "a" refers to itself/);
  });
});
