// reparseSock: a change within one block's lines reads only that block again, and the file it
// gives is the one a whole parse gives, for any change (the property), errors and all.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { SockFile } from '../../../../src/sock/ast';
import { parseSock, reparseSock } from '../../../../src/sock/parser';
import { printSock } from '../../../../src/sock/printer';
import { sockFile } from '../sockArbitrary';

const EXAMPLES = join(__dirname, '..', '..', '..', '..', 'examples');

/** Everything a consumer can read of a parse, ranges and sources included, as plain data. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [k, plain(x)]);
  if (v instanceof Set) return [...v].sort();
  if (v && typeof v === 'object') {
    const json = (v as { toJSON?: () => unknown }).toJSON;
    const o = json ? (json.call(v) as Record<string, unknown>) : (v as Record<string, unknown>);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = plain(o[k]);
    return out;
  }
  return v;
}

function same(after: SockFile, text: string, why: string): void {
  assert.deepEqual(plain(after), plain(parseSock(text)), why);
}

/** Lines from every corner of the language, good and bad, that give names and captures and take them. */
const LINES = [
  '### a block', '###', '  ### indented title', '@host = 127.0.0.1', '@n = 3', '@bad', 'connect tcp {{host}}:7 as c keep', 'connect tcp 127.0.0.1:{{l.port}} timeout 2s',
  'listen tcp 127.0.0.1:0 as l', 'listen udp 127.0.0.1:0 as u', 'use c', 'use nothere', 'conect tcp x:1 as broken', 'send "hi\\r\\n"', 'send {{token}}', 'send <<EOF', 'EOF', 'hello {{n}}',
  'recv line', 'recv exactly {{n}}', 'recv until "\\r\\n" timeout 2s', 'recvv line', 'expect "OK"', 'expect /(?<id>\\d+)/', 'capture token /t=(\\w+)/', 'capture line', 'set k = {{n}}',
  'repeat {{n}}', 'repeat 3 until /done/', 'if /OK/', 'else', 'end', 'on "PING"', 'await l accepted', 'echo', 'close', '# a comment', '// another', '', 'load 10 clients', 'expect errors 0', 'wait 1s', 'lookup localhost',
];
const FRAGMENTS = ['x', ' ', '"', '{{', '}}', 'n', 'as ', 'as c', ' keep', '###', '@', '<<EOF', 'EOF', 'end', 'repeat 2', 'capture z line', 'set z = 1', 'connect ', 'use c', '\\r\\n', '/', '(?<g>a)', '0', '\t'];

/** Blocks of those lines, a few variables above them. */
const lineFile = fc
  .tuple(fc.array(fc.constantFrom('@host = 127.0.0.1', '@n = 3', '# notes', ''), { maxLength: 3 }), fc.array(fc.array(fc.constantFrom(...LINES), { maxLength: 8 }), { minLength: 1, maxLength: 8 }))
  .map(([top, blocks]) => [...top, ...blocks.map((ls, i) => [`### block ${i}`, ...ls].join('\n'))].join('\n'));
const printedFile = sockFile.map((f) => printSock(f));
const exampleTexts = readdirSync(EXAMPLES).filter((f) => f.endsWith('.sock')).map((f) => readFileSync(join(EXAMPLES, f), 'utf8'));
const anyFile = fc.oneof(lineFile, printedFile, fc.constantFrom(...exampleTexts));

/** A change: at an offset (modulo the text's length), `cut` characters replaced by a fragment (with no newline, mostly). */
const change = fc.record({ at: fc.nat(), cut: fc.oneof({ weight: 3, arbitrary: fc.nat({ max: 3 }) }, { weight: 1, arbitrary: fc.nat({ max: 40 }) }), put: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...FRAGMENTS) }, { weight: 2, arbitrary: fc.string({ maxLength: 6 }) }, { weight: 1, arbitrary: fc.constantFrom('\n', 'x\n###\n', '\nrecv line') }) });

function apply(text: string, c: { at: number; cut: number; put: string }): string {
  const at = c.at % (text.length + 1);
  return text.slice(0, at) + c.put + text.slice(Math.min(text.length, at + c.cut));
}

describe('reparseSock: a change read again in its block only', () => {
  it('gives what a whole parse gives, for any file and any chain of changes (fast-check)', function () {
    this.timeout(120_000);
    let kept = 0;
    fc.assert(
      fc.property(anyFile, fc.array(change, { minLength: 1, maxLength: 5 }), (text, changes) => {
        let before = { text, file: parseSock(text) };
        for (const c of changes) {
          const after = apply(before.text, c);
          const file = reparseSock(before, after);
          same(file, after, JSON.stringify({ before: before.text, after }));
          if (file.blocks.some((b, i) => b === before.file.blocks[i])) kept++;
          before = { text: after, file };
        }
      }),
      { numRuns: 1000 },
    );
    // Most changes stay within a block's lines: the property is tested on the one-block path.
    assert.ok(kept > 400, `${kept} of the changes were read in their block only`);
  });

  it('reads only the changed block: the others are the same objects, and the changed one is new', () => {
    const text = readFileSync(join(EXAMPLES, 'tutorial.sock'), 'utf8');
    const before = parseSock(text);
    const block = before.blocks.find((b) => b.steps.some((s) => s.kind === 'send'));
    assert.ok(block);
    const line = block.steps.find((s) => s.kind === 'send')?.range.start.line as number;
    const lines = text.split('\n');
    lines[line] = lines[line].replace(/send /, 'send  ') + ' # typed';
    const after = lines.join('\n');
    const file = reparseSock({ text, file: before }, after);
    same(file, after, 'the typed change');
    assert.equal(file.blocks.filter((b, i) => b === before.blocks[i]).length, before.blocks.length - 1, 'every other block is kept');
    assert.notEqual(file.blocks[block.index - 1], before.blocks[block.index - 1]);
  });

  it("keeps no version of the file alive per change: typing in one block after another of a 1.4 MB file", () => {
    // A garbage collector to call: the heap then holds what the parses keep, and nothing else.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let text = '@host = 127.0.0.1\n';
    for (let i = 0; i < 10_000; i++) text += `### request ${i}\nconnect tcp {{host}}:8080 timeout 2s\nsend "GET /${i} HTTP/1.0\\r\\n\\r\\n"\nrecv until "\\r\\n\\r\\n" timeout 2s\nexpect /200 OK/\n`;
    let last = { text, file: parseSock(text) };
    gc();
    const before = getHeapStatistics().used_heap_size;
    let oneBlock = 0;
    for (let k = 1; k <= 50; k++) {
      const at = last.text.indexOf(`GET /${k * 197} `);
      const next = last.text.slice(0, at) + 'PUT' + last.text.slice(at + 3);
      const file = reparseSock(last, next);
      if (file.blocks[0] === last.file.blocks[0]) oneBlock++;
      last = { text: next, file };
    }
    gc();
    const grown = getHeapStatistics().used_heap_size - before;
    assert.equal(oneBlock, 50, 'each change was read in its block only');
    // Each version of the text is 1.4 MB: 50 of them kept alive would be 70 MB.
    assert.ok(grown < 20 * 1024 * 1024, `the heap grew ${(grown / 1024 / 1024).toFixed(1)} MiB over 50 changes`);
    same(last.file, last.text, 'the last version');
  });

  it('a change that gives a name, adds a line or touches a ### line is a whole parse, and still right', () => {
    const text = '### one\nlisten tcp 127.0.0.1:0 as l\necho\n\n### two\nconnect tcp {{l}}\nsend "x"\nrecv line\n';
    const before = parseSock(text);
    for (const after of [text.replace('as l', 'as m'), text.replace('send "x"', 'send "x"\nrecv line'), text.replace('### two', '## two'), text.replace('recv line', '@l = 1')]) {
      const file = reparseSock({ text, file: before }, after);
      same(file, after, after);
      assert.notEqual(file.blocks[0], before.blocks[0], `a whole parse for ${JSON.stringify(after)}`);
    }
  });
});
