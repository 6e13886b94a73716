// Diagnostics name each mistake once: a repeat line with a mistake is its one error, and its `end`
// still closes it (no "end without repeat", no "this repeat has no steps" after it).
import { strict as assert } from 'node:assert';
import { parseSock } from '../../../src/sock/parser';

const messages = (text: string): string[] => parseSock(text).diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.column + 1} ${d.severity}: ${d.message}`);

describe('diagnostics without follow-on errors', function () {
  it('a repeat line with a bad count, a bad every or no count gives one error each, and its end closes it', () => {
    assert.deepEqual(messages('### a\nrepeat lots\naton 127.0.0.1\nend\nrepeat 2 every soon\nend\nrepeat\nend\n'), [
      '2:8 error: repeat takes a count from 1 to 1000000',
      '5:16 error: "soon" is not a duration: write 2s, 500ms or 1m',
      '7:7 error: expected a count, e.g. repeat 10',
    ]);
  });

  it('a good repeat keeps its whole line as its source, for the transcript', () => {
    const repeat = parseSock('### a\nrepeat 2 every 1s   # ticks\naton 127.0.0.1\nend\n').blocks[0].steps[0];
    assert.equal(repeat.source, 'repeat 2 every 1s');
  });

  it('a good repeat with no steps is still warned about', () => {
    assert.deepEqual(messages('### a\nrepeat 3\nend\n'), ['2:1 warning: this repeat has no steps']);
  });
});
