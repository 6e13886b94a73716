import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Diagnostic, Range } from '../../src/sock/ast';
import { parseDuration } from '../../src/sock/parse/lexer';
import { hasErrors, parseSock } from '../../src/sock/parser';
import { ROOT } from './helpers';

function errors(text: string): Diagnostic[] {
  return parseSock(text).diagnostics.filter((d) => d.severity === 'error');
}

function warnings(text: string): Diagnostic[] {
  return parseSock(text).diagnostics.filter((d) => d.severity === 'warning');
}

/** `line:column` (1-based) and message of each diagnostic, as the CLI prints them. */
function where(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.range.start.line + 1}:${d.range.start.column + 1} ${d.message}`);
}

describe('the .sock parser', () => {
  it('parses the tutorial without a diagnostic, into its 24 blocks with titles: part 1, then part 2 from block 14', () => {
    const file = parseSock(readFileSync(join(ROOT, 'examples', 'tutorial.sock'), 'utf8'));
    assert.deepEqual(file.diagnostics, []);
    assert.equal(file.blocks.length, 24);
    assert.match(file.blocks[0].title, /gethostname/);
    assert.deepEqual(file.blocks.map((b) => b.header?.kind ?? 'lookups').slice(4, 8), ['listen', 'connect', 'listen', 'connect']);
    assert.match(file.blocks[13].title, /^Part 2: a server for several clients at once/);
    assert.deepEqual(file.blocks.map((b) => b.header?.kind ?? 'lookups').slice(13), ['listen', 'connect', 'connect', 'use', 'connect', 'listen', 'connect', 'listen', 'connect', 'listen', 'connect']);
  });

  it('splits blocks at ### lines, numbers them from 1, and makes a block of statements before the first ###', () => {
    const file = parseSock('hostname\n### second\nlookup localhost\n###\n### fourth\n');
    assert.deepEqual(file.blocks.map((b) => [b.index, b.title, b.steps.length]), [[1, '', 1], [2, 'second', 1], [3, '', 0], [4, 'fourth', 0]]);
    assert.deepEqual(file.blocks[1].range.start, { line: 1, column: 0 });
  });

  it('does not count comments and variables before the first ### as a block', () => {
    const file = parseSock('# notes\n@host = 127.0.0.1\n\n### one\nlookup {{host}}\n');
    assert.equal(file.blocks.length, 1);
    assert.equal(file.blocks[0].title, 'one');
    assert.deepEqual(parseSock('### first\nhostname\n').blocks.map((b) => b.index), [1], 'a file that starts with ### has no empty block before it');
  });

  it('reads heredocs with the block line ending and variables inside', () => {
    const file = parseSock('@h = example\n### http\nconnect tcp 127.0.0.1:80\neol lf\nsend <<END\nGET / HTTP/1.0\nHost: {{h}}\n\nEND\nrecv all\n');
    const send = file.blocks[0].steps[0];
    assert.equal(file.blocks[0].eol, 'lf');
    assert.ok(send.kind === 'send' && send.payload.kind === 'heredoc');
    assert.equal(send.payload.lines.length, 3);
    assert.equal(file.blocks[0].steps[1].kind, 'recv', 'parsing goes on after the heredoc');
  });

  it('ignores trailing comments after whitespace, also on variable lines', () => {
    const file = parseSock('@host = 127.0.0.1   # loopback\n### a\nlookup {{host}} // reverse\n');
    assert.deepEqual(file.diagnostics, []);
    const value = file.variables.get('host')?.value.parts;
    assert.deepEqual(value, [{ text: '127.0.0.1' }]);
    assert.equal(file.blocks[0].steps[0].source, 'lookup {{host}}');
  });

  it('reports every error of a malformed file with line, column and a message, and recovers', () => {
    const text = [
      '### broken', // 1
      'connect tcp 127.0.0.1', // 2: no port
      'send hello', // 3: unquoted
      'recv 10 timeout 5', // 4: duration without unit
      'sned "x"', // 5: typo
      'expect /unclosed', // 6
      'send "bad \\q escape"', // 7
      'lookup {{nope}}', // 8
      '### fine',
      'hostname',
    ].join('\n');
    assert.deepEqual(where(errors(text)), [
      '2:13 "127.0.0.1": expected HOST:PORT, e.g. 127.0.0.1:8080',
      '3:6 a payload is quoted ("hello"), hex 47 45 54, base64 R0VU, file PATH or a heredoc (<<END)',
      '4:17 "5" is not a duration: write 2s, 500ms or 1m',
      '5:1 unknown statement "sned" (did you mean "send"?)',
      '6:8 unterminated regular expression: add the closing /',
      '7:6 unknown escape "\\q" (known: \\r \\n \\t \\0 \\\\ \\" \\xHH)',
      '8:8 unknown variable "nope": declare it with @nope = value, or name a listener with "as nope"',
    ]);
    const file = parseSock(text);
    assert.equal(file.blocks[1].steps[0].kind, 'hostname', 'the block after the errors is intact');
  });

  it('rejects statements in the wrong place with a message that says what to do', () => {
    assert.match(errors('### a\nsend "x"')[0].message, /needs a connection: start the block with connect, listen or use/);
    assert.match(errors('### a\nconnect tcp 127.0.0.1:1\nlisten tcp 127.0.0.1:0')[0].message, /one connect, listen or use/);
    assert.match(errors('### a\nconnect tcp 127.0.0.1:1\necho')[0].message, /echo is a listener step/);
    assert.match(errors('### a\nconnect udp 127.0.0.1:9\nrecv all')[0].message, /for streams/);
    assert.match(errors('### a\nconnect udp 127.0.0.1:9 timeout 1s')[0].message, /UDP connect/);
    assert.match(errors('### a\nconnect tcp 127.0.0.1:0')[0].message, /port 0/);
    assert.match(errors('### a\nntoa 7f0000')[0].message, /exactly 4 bytes/);
    assert.match(errors('### a\nconnect tcp 127.0.0.1:1\nsend <<END\nabc\n### b\nhostname')[0].message, /heredoc <<END is not closed/);
    assert.match(errors('@web = x\n### a\nlisten tcp 0 as web')[0].message, /both a variable and a listener/);
    assert.match(errors('@v = 1\n### a\nlookup {{v.port}}')[0].message, /only listeners have fields/);
    assert.match(errors('### a\nhostname\nexpect error ESERVICE hex 41')[0].message, /a message pattern is "text" or \/regex\//);
  });

  it('warns about listening on every interface and about an expect with nothing before it', () => {
    assert.match(warnings('### a\nlisten tcp 0.0.0.0:8080\nclose')[0].message, /127\.0\.0\.1 keeps the listener on this one/);
    assert.match(warnings('### a\nconnect tcp 127.0.0.1:1\nexpect "x"')[0].message, /none comes before it/);
    assert.deepEqual(warnings('### a\nconnect tcp 127.0.0.1:1\nrecv\nsend "y"\nexpect "x"'), [], 'an earlier recv counts');
    assert.equal(hasErrors(parseSock('### a\nlisten tcp 0.0.0.0:8080\nclose')), false, 'warnings are not errors');
  });

  it('accepts PORT and :PORT for listeners, bracketed IPv6, and expect error forms', () => {
    const file = parseSock('### a\nlisten tcp 8080\n### b\nlisten udp :9000\n### c\nconnect tcp [::1]:80 timeout 250ms\nexpect error ECONNREFUSED /refused/\n### d\nservice http udp\nexpect error "not found"\n');
    assert.deepEqual(file.diagnostics, []);
    const expectStep = file.blocks[2].steps[0];
    assert.ok(expectStep.kind === 'expect' && expectStep.matcher.kind === 'error');
    assert.equal(expectStep.matcher.code, 'ECONNREFUSED');
    assert.equal(file.blocks[2].header?.timeoutMs, 250);
  });

  it('parses durations in ms, s and m', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('5'), undefined);
  });

  it('never throws, whatever the text (property), and every diagnostic range lies inside the file', () => {
    const pieces = ['###', 'connect tcp ', 'listen udp ', 'send ', 'recv ', 'expect ', 'error ', '"', '\\', '<<END', 'END', '{{', '}}', '@x = ', '/', 'hex ', '127.0.0.1:', '[::1]', '\n', ' ', '#', 'timeout 1s', 'as '];
    const arb = fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((a) => a.join('')));
    fc.assert(
      fc.property(arb, (text) => {
        const file = parseSock(text);
        const lines = text.split(/\r?\n/);
        for (const d of file.diagnostics) {
          assert.ok(d.range.start.line >= 0 && d.range.start.line < lines.length, JSON.stringify(d));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the .sock parser: repeat, keep/use, built-ins', () => {
  it('nests steps inside repeat … end', () => {
    const file = parseSock('### a\nconnect udp 127.0.0.1:9\nrepeat 2\nrepeat 3 every 1s\nsend "x"\nend\nrecv\nend\nclose\n');
    assert.deepEqual(file.diagnostics, []);
    const outer = file.blocks[0].steps[0];
    assert.ok(outer.kind === 'repeat' && outer.count === 2);
    assert.deepEqual(outer.steps.map((s) => s.kind), ['repeat', 'recv']);
    const inner = outer.steps[0];
    assert.ok(inner.kind === 'repeat' && inner.everyMs === 1000 && inner.steps.length === 1);
    assert.equal(file.blocks[0].steps[1].kind, 'close');
  });

  it('reports repeat without end, end without repeat, and bad counts', () => {
    assert.deepEqual(where(errors('### a\nrepeat 2\nhostname\n### b\nend\nrepeat 0\n')), [
      '2:1 repeat without end: add a line "end" after its steps',
      '5:1 end without repeat, if or on',
      '6:8 repeat takes a count from 1 to 1000000',
    ]);
  });

  it('checks kept connections: keep needs a name, use needs a kept connection', () => {
    assert.match(errors('### a\nconnect tcp 127.0.0.1:1 keep')[0].message, /keep needs a name/);
    assert.match(errors('### a\nuse nothing')[0].message, /no connection named "nothing"/);
    assert.match(errors('### a\nconnect tcp 127.0.0.1:1 as c\n### b\nuse c')[0].message, /add keep/);
    assert.match(errors('### a\nconnect tcp 127.0.0.1:1 as c keep\n### b\nlisten tcp 0 as c')[0].message, /already taken/);
    const ok = parseSock('### a\nconnect unix /tmp/x as c keep\n### b\nuse c\nshutdown\n');
    assert.deepEqual(ok.diagnostics, []);
    assert.equal(ok.blocks[1].header?.transport, 'unix');
  });

  it('checks built-in variables', () => {
    assert.deepEqual(errors('### a\nhostname\nexpect "{{$timestamp}}{{$randomInt 1 10}}{{$env HOME}}"'), []);
    assert.match(errors('### a\nhostname\nexpect "{{$randomInt 5 5}}"')[0].message, /MIN < MAX/);
    assert.match(errors('### a\nhostname\nexpect "{{$uuid}}"')[0].message, /unknown built-in "\$uuid"/);
  });
});

describe('the .sock parser: details found in review', () => {
  it('keeps a {{$builtin with arguments}} in one word', () => {
    const file = parseSock('### a\nlookup {{$env HOSTNAME}}\n');
    assert.deepEqual(file.diagnostics, []);
    const step = file.blocks[0].steps[0];
    assert.ok(step.kind === 'lookup' && 'builtin' in step.target.parts[0]);
  });

  it('gives precise messages for built-in misuse', () => {
    assert.match(errors('### a\nhostname\nexpect "{{$timestamp x}}"')[0].message, /takes no arguments/);
    assert.match(errors('### a\nhostname\nexpect "{{$randomInt 0 9007199254740991}}"')[0].message, /2\^48 - 1 apart/);
  });

  it('keeps TLS lines out of use blocks and variables out of settings lines', () => {
    assert.match(errors('### a\nconnect tls 127.0.0.1:1 as t keep\n### b\nuse t\ninsecure')[0].message, /belongs to the connect tls block/);
    assert.match(errors('@h = x\n### a\nconnect tls 127.0.0.1:1\nservername {{h}}')[0].message, /variables are not expanded here/);
    assert.match(errors('### a\nlisten tcp 0\nallow {{x}}')[0].message, /variables are not expanded here/);
  });

  it('bounds recv exactly and sees a recv inside a closed repeat', () => {
    assert.match(errors('### a\nconnect tcp 127.0.0.1:1\nrecv exactly 999999999')[0].message, /from 1 to 16777216/);
    assert.deepEqual(warnings('### a\nconnect tcp 127.0.0.1:1\nrepeat 2\nrecv\nend\nexpect "x"'), []);
  });

  it('puts the insecure warning on the insecure line', () => {
    const w = warnings('### a\nconnect tls 127.0.0.1:1\nsend "x"\ninsecure');
    assert.equal(w.length, 1);
    assert.equal(w[0].range.start.line, 3);
  });
});

describe('the .sock parser: second review', () => {
  it('checks the broadcast target even when the port is a variable, and keeps broadcast out of use blocks', () => {
    assert.match(errors('### l\nlisten udp 0 as rx\nrecv\n### a\nconnect udp <broadcast>:{{rx.port}}\nsend "x"')[0]?.message ?? '', /needs a broadcast line/);
    assert.match(errors('### a\nconnect udp 127.0.0.1:9 as u keep\n### b\nuse u\nbroadcast')[0].message, /belongs to the connect udp block/);
  });

  it('warns that @::1:5353 means port 53', () => {
    assert.match(warnings('### a\nresolve lab.test A @::1:5353')[0].message, /IPv6 address ::1:5353 on port 53; for ::1 port 5353 write @\[::1\]:5353/);
  });
});

describe('the .sock parser: comments and strings', () => {
  it('a # inside a quoted payload is part of it, not a trailing comment', () => {
    const file = parseSock('### a\nconnect tcp 127.0.0.1:1\nsend "a # b"   # a real comment\n');
    assert.deepEqual(file.diagnostics, []);
    assert.equal(file.blocks[0].steps[0].source, 'send "a # b"');
  });


  it('reads text beyond Latin-1 by its whole UTF-16 code units: no character is mistaken for a space, quote, brace or slash', () => {
    // Each of these has a low byte that is a delimiter (Ġ U+0120: space, ™ U+2122: ", Ż U+017B: {,
    // į U+012F: /), and U+3000 is white space, as JavaScript's \s; 😀 is a surrogate pair.
    const text = '@host = 127.0.0.1\n### caf\u00e9 \u2122\u3000\nconnect tcp {{host}}:80\nsend\u3000"\u0120\u2122\u017b\u017b\u012f \u{1F600}"\nrecv until "\u2122"\nexpect /\u012f\u2122/\u3000# note \u0120\n';
    const file = parseSock(text);
    assert.deepEqual(file.diagnostics, []);
    const [block] = file.blocks;
    assert.equal(block.title, 'caf\u00e9 \u2122');
    const [send, recv, expect] = block.steps;
    assert.ok(send.kind === 'send' && send.payload.kind === 'text');
    assert.deepEqual(send.payload.template.parts, [{ text: '\u0120\u2122\u017b\u017b\u012f \u{1F600}' }]);
    assert.ok(recv.kind === 'recv' && recv.until?.kind === 'text');
    assert.deepEqual(recv.until.template.parts, [{ text: '\u2122' }]);
    assert.deepEqual(expect.kind === 'expect' && expect.matcher, { kind: 'regex', source: '\u012f\u2122', flags: '' });
    assert.equal(expect.source, 'expect /\u012f\u2122/');
  });
  it('a # inside a /regex/ is part of it: the step’s source and range run to the closing slash and flags', () => {
    const file = parseSock('### a\nconnect tcp 127.0.0.1:1\nrecv\nexpect /a #b/i   # a real comment\n');
    assert.deepEqual(file.diagnostics, []);
    const step = file.blocks[0].steps[1];
    assert.equal(step.source, 'expect /a #b/i');
    assert.deepEqual({ start: step.range.start, end: step.range.end }, { start: { line: 3, column: 0 }, end: { line: 3, column: 14 } });
  });
});

describe('the .sock parser: positions (the parser reads the file by offsets, not by lines)', () => {
  /** Lines a file is made of: valid statements, broken ones, comments, and the characters that end words. */
  const statement = fc.constantFrom(
    '### title',
    '@h = 127.0.0.1   # note',
    'connect tcp {{h}}:8080 timeout 2s',
    'listen udp 0 as rx',
    'send "GET / HTTP/1.0\\r\\n\\r\\n"  // note',
    'send "a # b"',
    'send hex 47 45 54',
    'recv until "\\r\\n" timeout 1s   # note',
    'recv 10',
    'expect /200 OK/',
    'expect /a #b/',
    'expect error ECONNREFUSED',
    'repeat 2 every 1s',
    'end',
    'lookup {{$env HOME}}',
    'wait 500ms',
    'close',
    'send <<END',
    'END',
    '# comment',
    '',
  );
  const line = fc.oneof(
    { weight: 4, arbitrary: statement },
    { weight: 1, arbitrary: fc.tuple(statement, fc.nat(), fc.constantFrom(' ', '\t', '#', '"', '{{', '}}', '/', '\\', '\u00a0', ' x')).map(([s, at, c]) => s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1))) },
  );
  const file = fc.array(line, { maxLength: 25 }).map((ls) => ls.join('\n'));
  const json = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (v instanceof Map ? [...v] : v));

  it('parses a CRLF file exactly as the same file with LF endings (property)', () => {
    fc.assert(
      fc.property(file, (text) => {
        assert.equal(json(parseSock(text.replace(/\n/g, '\r\n'))), json(parseSock(text)));
      }),
      { numRuns: 1000 },
    );
  });

  it("selects each statement's source text with its range, in LF and CRLF files (property)", () => {
    fc.assert(
      fc.property(file, fc.boolean(), (text, crlf) => {
        const lines = text.split('\n');
        const file = parseSock(crlf ? text.replace(/\n/g, '\r\n') : text);
        type Statement = { readonly range: Range; readonly source: string; readonly steps?: readonly Statement[] };
        const check = (s: Statement): void => {
          assert.equal(lines[s.range.start.line].slice(s.range.start.column, s.range.end.column), s.source);
          s.steps?.forEach(check);
        };
        for (const b of file.blocks) {
          if (b.header) check(b.header);
          b.steps.forEach(check);
          assert.equal(b.range.end.column, lines[b.range.end.line].length, 'a block ends at the end of its last line');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('gives each template the text its range selects, read through its fields and through JSON alike (property)', () => {
    // Ranges and templates are kept compact (src/sock/parse/lexer.ts, lineParser.ts): what they give must match the text.
    type Node = Record<string, unknown>;
    type Part = { text?: string; variable?: string; builtin?: unknown; range?: Range };
    const selected = (lines: string[], r: Range): string => lines[r.start.line].slice(r.start.column, r.end.column);
    const check = (lines: string[], t: { parts: readonly Part[]; range: Range }, path: string): void => {
      const plain = JSON.parse(JSON.stringify(t)) as { parts: Part[]; range: Range };
      assert.deepEqual(plain.range, { start: { ...t.range.start }, end: { ...t.range.end } }, `${path}: its JSON range`);
      assert.equal(t.parts, t.parts, `${path}: its parts are made once`);
      let text = '';
      for (const part of t.parts) {
        if (part.text !== undefined) text += part.text;
        else {
          const inner = selected(lines, part.range as Range);
          assert.ok(inner.startsWith('{{') && inner.endsWith('}}') && inner.includes(part.variable ?? '$'), `${path}: a reference's range selects it: ${inner}`);
          text += inner;
        }
      }
      if (t.range.start.line === t.range.end.line) assert.equal(text, selected(lines, t.range), `${path}: the template's parts are the text its range selects`);
      assert.deepEqual(plain.parts, JSON.parse(JSON.stringify(t.parts)), `${path}: its JSON parts`);
    };
    const visit = (lines: string[], v: unknown, path: string): void => {
      if (Array.isArray(v)) return v.forEach((x, i) => visit(lines, x, `${path}[${i}]`));
      if (!v || typeof v !== 'object') return;
      const n = v as Node;
      if ('parts' in n && 'range' in n) return check(lines, n as unknown as { parts: Part[]; range: Range }, path);
      for (const k of new Set([...Object.keys(n), 'header', 'template'])) if (k !== 'range' && k in n) visit(lines, n[k], `${path}.${k}`);
    };
    fc.assert(
      fc.property(file, fc.boolean(), (text, crlf) => {
        const parsed = parseSock(crlf ? text.replace(/\n/g, '\r\n') : text);
        const lines = text.split('\n');
        visit(lines, parsed.blocks, 'blocks');
        visit(lines, [...parsed.variables.values()], 'variables');
      }),
      { numRuns: 1000 },
    );
  });

  it('ends blocks and heredocs at the end of their last line, in CRLF files too', () => {
    const text = ['### a', 'connect tcp 127.0.0.1:1', 'send <<END', 'line one', 'END  ', 'close', '### b', 'connect tcp 127.0.0.1:2', 'send <<EOF', 'never closed', '### c', 'hostname'].join('\r\n');
    const file = parseSock(text);
    assert.deepEqual([file.blocks[0].range.start, file.blocks[0].range.end], [{ line: 0, column: 0 }, { line: 5, column: 5 }]);
    const send = file.blocks[0].steps[0];
    assert.ok(send.kind === 'send' && send.payload.kind === 'heredoc');
    assert.deepEqual(send.payload.range.end, { line: 4, column: 5 }, 'the heredoc ends on its closing line');
    assert.deepEqual(file.blocks[1].range.end, { line: 9, column: 12 }, 'an unclosed heredoc stops before the next ###');
    assert.deepEqual(where(errors(text)), ['9:6 heredoc <<EOF is not closed: add a line "EOF" before the next ### block']);
    assert.equal(file.blocks[2].steps[0].kind, 'hostname');
  });
});
