// The printer is the parser's inverse: parse(print(x)) is x, ranges and source texts aside. Checked
// on every example file and every `sock` block of the spec, and on syntax trees fast-check makes
// from the grammar (valid by construction: each block kind gets the steps and settings it allows).
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { SockFile, Step } from '../../../src/sock/ast';
import { parseSock } from '../../../src/sock/parser';
import { printSock, printStep } from '../../../src/sock/printer';
import { ROOT } from '../helpers';
import { normalize } from './normalize';
import { R, sockFile, text } from './sockArbitrary';


function roundTrip(file: SockFile): { printed: string; again: SockFile } {
  const printed = printSock(file);
  return { printed, again: parseSock(printed) };
}

function errors(file: SockFile): string[] {
  return file.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.range.start.line + 1}:${d.range.start.column + 1} ${d.message}`);
}

describe('the printer is the parser\'s inverse', function () {
  this.timeout(60_000);

  it('every example file and every sock block of the spec survives the round trip', () => {
    const texts: [string, string][] = [];
    for (const f of readdirSync(join(ROOT, 'examples'))) if (f.endsWith('.sock')) texts.push([`examples/${f}`, readFileSync(join(ROOT, 'examples', f), 'utf8')]);
    const spec = readFileSync(join(ROOT, 'docs', 'sock-language.md'), 'utf8');
    let n = 0;
    for (const m of spec.matchAll(/```sock\n([\s\S]*?)```/g)) texts.push([`spec block ${++n}`, m[1]]);
    assert.ok(texts.length >= 20, `only ${texts.length} texts`);
    for (const [name, source] of texts) {
      const parsed = parseSock(source);
      assert.deepEqual(errors(parsed), [], `${name} parses`);
      const { printed, again } = roundTrip(parsed);
      assert.deepEqual(errors(again), [], `${name} printed:\n${printed}`);
      assert.deepEqual(normalize(again), normalize(parsed), `${name} printed:\n${printed}`);
    }
  });

  it('parse(print(x)) is x for syntax trees made from the grammar', () => {
    fc.assert(
      fc.property(sockFile, (file) => {
        const { printed, again } = roundTrip(file);
        assert.deepEqual(errors(again), [], printed);
        assert.deepEqual(normalize(again), normalize(file), printed);
      }),
      { numRuns: 300 },
    );
  });

  it('a heredoc whose payload holds an END line closes with another word', () => {
    const step: Step = { kind: 'send', payload: { kind: 'heredoc', lines: [text('END'), text('END1 ')], range: R }, range: R, source: '' };
    assert.equal(printStep(step), 'send <<END2\nEND\nEND1 \nEND2');
  });
});
