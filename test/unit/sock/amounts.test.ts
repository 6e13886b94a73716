// Counts and durations from variables: read when the step runs, with the variable named in the error.
import { strict as assert } from 'node:assert';
import { cli, startPeer, tempSock } from '../helpers';

async function runFile(text: string): Promise<{ code: number | null; out: string }> {
  const f = await tempSock(text);
  const r = await cli(['run', f.file], { timeoutMs: 20_000 });
  await f.remove();
  return { code: r.code, out: r.stdout + r.stderr };
}

describe('variables in counts and durations', function () {
  it('recv exactly {{len}} reads the length a Python peer announced, and repeat {{n}} runs n rounds', async () => {
    const { port } = await startPeer('stream_server.py', ['send', Buffer.from('LEN 5\r\nhelloworld').toString('hex')]);
    const r = await runFile(`@pause = 50ms\n### framed\nconnect tcp 127.0.0.1:${port}\nrecv line\ncapture len /LEN (\\d+)/\nrecv exactly {{len}}\nexpect "hello"\nset n = {{len}} - 2\nrepeat {{n}} every {{pause}}\nwait {{len}}ms\nend\nrecv exactly {{len}} timeout {{pause}}\nexpect "world"\n`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /← (\[c\d+\] )?recv exactly \{\{len\}\}\s+5 bytes {2}"hello"/);
    assert.match(r.out, /↻ (\[c\d+\] )?repeat \{\{n\}\} every \{\{pause\}\}\s+3 rounds/);
    assert.match(r.out, /wait \{\{len\}\}ms\s+waited 5 ms/);
  });

  it('a timeout from a variable bounds the wait', async () => {
    const r = await runFile('@t = 300ms\n### l\nlisten tcp 127.0.0.1:0 as l\nwait 2s\n\n### c\nconnect tcp {{l}}\nrecv timeout {{t}}\nexpect error ETIMEDOUT /after 300 ms/\n');
    assert.equal(r.code, 0, r.out);
  });

  it('a value that is not a count or a duration fails the step with EVARIABLE, naming the variable and its value', async () => {
    const r = await runFile('@n = many\n@d = soon\n### counts\nrepeat {{n}}\nhostname\nend\n\n### durations\nwait {{d}}\n');
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /! repeat \{\{n\}\}\s+repeat \{\{n\}\}: "many" is not a count from 1 to 1000000/);
    assert.match(r.out, /! wait \{\{d\}\}\s+wait \{\{d\}\}: "soon" is not a duration such as 2s, 500ms or 1m/);
  });
});
