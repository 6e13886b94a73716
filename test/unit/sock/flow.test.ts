// Flow driven by the data: repeat … until polls, bounded by its count; if … else … end branches
// on the last value. Both against a file listener that answers as a slow server would.
import { strict as assert } from 'node:assert';
import { parseSock } from '../../../src/sock/parser';
import { cli, tempSock } from '../helpers';

async function runFile(text: string): Promise<{ code: number | null; out: string }> {
  const f = await tempSock(text);
  const r = await cli(['run', f.file], { timeoutMs: 20_000 });
  await f.remove();
  return { code: r.code, out: r.stdout + r.stderr };
}

const SLOW = '### slow\nlisten tcp 127.0.0.1:0 as slow\nrecv line\nsend "BUSY\\n"\nrecv line\nsend "BUSY\\n"\nrecv line\nsend "READY\\n"\nrecv line\nexpect "GO\\n"\n';

describe('repeat … until and if … else', function () {
  it('polls until the third answer is READY, then takes the if branch', async () => {
    const r = await runFile(`${SLOW}\n### poll\nconnect tcp {{slow}}\nrepeat 5 every 20ms until "READY"\nsend "STATUS?\\n"\nrecv line\nend\nif /READY/\nsend "GO\\n"\nelse\nclose\nend\n`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /↻ \[c\d+\] repeat 5 every 20ms until "READY"\s+3 rounds: the last passed the test \(found "READY"\)/);
    assert.match(r.out, /• \[c\d+\] if \/READY\/\s+yes: matches \/READY\//);
    assert.match(r.out, /✓ \[slow c\d+\] expect "GO\\n"/);
  });

  it('fails when no round of N passes the test, showing the last value, and ends the block', async () => {
    const r = await runFile('### busy\nlisten tcp 127.0.0.1:0 as busy\nrepeat 3\nrecv line\nsend "BUSY\\n"\nend\n\n### poll\nconnect tcp {{busy}}\nrepeat 3 until "READY"\nsend "STATUS?\\n"\nrecv line\nend\nsend "never\\n"\n');
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /✗ \[c\d+\] repeat 3 until "READY"\s+no round of 3 passed the test: "READY" not in 5 bytes "BUSY\\n"/);
    assert.doesNotMatch(r.out, /send "never/);
  });

  it('takes the else branch when the test does not hold, and runs nothing when there is no else', async () => {
    const r = await runFile('### lookups\naton 127.0.0.1\nif hex 7f000002\nwait 1ms\nelse\nntoa 7f000001\nend\nif "x"\nwait 2ms\nend\nexpect "127.0.0.1"\n');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /• if hex 7f000002\s+no: "\\x7f\\0\\0\\x02" not in 4 bytes "\\x7f\\0\\0\\x01"; the steps after else run/);
    assert.match(r.out, /• ntoa 7f000001\s+127\.0\.0\.1/);
    assert.match(r.out, /• if "x"\s+no: .*; nothing runs/);
    assert.doesNotMatch(r.out, /wait/);
  });

  it('parses: else and end pair with the innermost if; each mistake is one diagnostic', () => {
    const messages = (t: string): string[] => parseSock(t).diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`);
    assert.deepEqual(messages('### a\nhostname\nif "x"\nrepeat 2\nhostname\nend\nelse\nif /y/\nend\nend\n'), []);
    assert.deepEqual(messages('### a\nelse\n'), ['2: else without if']);
    assert.deepEqual(messages('### a\nhostname\nif "x"\nelse\nelse\nend\n'), ['5: a second else in one if']);
    assert.deepEqual(messages('### a\nhostname\nrepeat 2\nhostname\nelse\nend\n'), ['5: else without if']);
    assert.deepEqual(messages('### a\nhostname\nif\nend\n'), ['3: if needs a test: a payload such as "OK", or a /regex/']);
    assert.deepEqual(messages('### a\nhostname\nrepeat 2 until\nend\n'), ['3: repeat N until needs a test: a payload such as "OK", or a /regex/']);
  });
});
