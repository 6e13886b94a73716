// The transcript: a result starts at one column and never runs into a long statement; --full
// shows whole payloads.
import { strict as assert } from 'node:assert';
import type { StepEvent } from '../../../src/sock/runEvents';
import { RESULT_COLUMN, Transcript } from '../../../src/sock/transcript';
import { cli, tempSock } from '../helpers';

const step = (source: string, detail: string): StepEvent => ({ type: 'step', block: 1, line: 1, column: 0, source, verb: 'listen', status: 'error', detail, ms: 2.3 });

describe('the transcript', function () {
  it('starts every result at one column, and puts a long statement\'s result on a line of its own', () => {
    const t = new Transcript('x.sock');
    const short = t.format(step('listen unix ./a.socket', 'listening')) as string;
    assert.equal(short.indexOf('listening'), RESULT_COLUMN);
    const path = `/tmp/${'x'.repeat(60)}.socket`;
    const long = t.format(step(`listen unix ${path}`, `listen unix ${path}: path too long`)) as string;
    const [statement, result] = long.split('\n');
    assert.equal(statement, `  ! listen unix ${path}`, 'the statement line holds the statement alone');
    assert.equal(result, `${' '.repeat(RESULT_COLUMN)}listen unix ${path}: path too long  (2.3 ms)`);
  });

  it('--full shows a 300-byte payload whole; by default the transcript shows its first 200 bytes', async () => {
    const body = 'a'.repeat(150) + 'b'.repeat(150);
    const f = await tempSock(`### l\nlisten tcp 127.0.0.1:0 as l\nrecv all\n\n### c\nconnect tcp {{l}}\nsend "${body}"\n`);
    const cut = await cli(['run', f.file]);
    const full = await cli(['run', f.file, '--full']);
    await f.remove();
    assert.equal(full.code, 0, full.stdout + full.stderr);
    assert.match(full.stdout, new RegExp(`→ \\[c\\d+\\] send "a{150}b{150}"\\s+300 bytes {2}"a{150}b{150}"`));
    assert.match(cut.stdout, /300 bytes {2}"a{150}b{50}…/);
    assert.doesNotMatch(cut.stdout, /300 bytes {2}"a{150}b{51}/);
  });
});
