// Code export (issue 20): every statement of the language becomes code or an explicit comment;
// every program of the spec, the examples and syntax trees made from the grammar is valid Python 3
// (ast.parse) and valid JavaScript (esbuild parses it as an ES module); the CLI says what it
// leaves out. The programs' behaviour is checked against real peers in verify.ts's tests.
import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import fc from 'fast-check';
import { exportSock, type ExportLanguage } from '../../../src/sock/export';
import { parseSock } from '../../../src/sock/parser';
import type { SockFile } from '../../../src/sock/ast';
import { cli, ROOT, run } from '../helpers';
import { sockFile } from '../sock/sockArbitrary';
import { verifyExport } from './verify';

const options = (lang: ExportLanguage) => ({ lang, fileName: 'test.sock', baseDir: '/tmp' });

/** Asserts that every program parses as Python 3: one python3 process reads them all. */
async function assertPythonParses(programs: readonly [string, string][]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'socket-lab-export-parse-'));
  try {
    const files: string[] = [];
    for (const [i, [, code]] of programs.entries()) {
      const file = join(dir, `p${i}.py`);
      await writeFile(file, code);
      files.push(file);
    }
    const r = await run('python3', ['-c', 'import ast, sys\nfor f in sys.argv[1:]:\n    try:\n        ast.parse(open(f).read(), f)\n    except SyntaxError as e:\n        print(f, e)', ...files], { timeoutMs: 60_000 });
    const bad = r.stdout.trim().split('\n').filter(Boolean);
    const name = (line: string): string => programs[Number(/p(\d+)\.py/.exec(line)?.[1])]?.[0] ?? line;
    assert.deepEqual(bad.map((l) => `${name(l)}: ${l}`), [], 'every Python program parses');
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Asserts that a program parses as a JavaScript ES module (top-level await included). */
function assertNodeParses(name: string, code: string): void {
  try {
    transformSync(code.replace(/^#!.*\n/, ''), { loader: 'js', format: 'esm', target: 'node20' });
  } catch (e) {
    assert.fail(`${name}: ${(e as Error).message}`);
  }
}

/** Every example file and every sock block of the spec. */
function documentedFiles(): [string, SockFile][] {
  const texts: [string, string][] = [];
  for (const f of readdirSync(join(ROOT, 'examples'))) if (f.endsWith('.sock')) texts.push([`examples/${f}`, readFileSync(join(ROOT, 'examples', f), 'utf8')]);
  let n = 0;
  for (const m of readFileSync(join(ROOT, 'docs', 'sock-language.md'), 'utf8').matchAll(/```sock\n([\s\S]*?)```/g)) texts.push([`spec block ${++n}`, m[1]]);
  return texts.map(([name, text]) => [name, parseSock(text)]);
}

describe('export: every statement becomes code or a comment that says it has none', function () {
  this.timeout(120_000);

  it('every example and every sock block of the spec exports to Python 3 that parses and to an ES module that parses', async () => {
    const files = documentedFiles();
    assert.ok(files.length >= 40, `only ${files.length} files`);
    const python: [string, string][] = [];
    for (const [name, file] of files) {
      python.push([name, exportSock(file, options('python')).code]);
      assertNodeParses(name, exportSock(file, options('node')).code);
    }
    await assertPythonParses(python);
  });

  it('so does every file made from the grammar', async () => {
    const python: [string, string][] = [];
    fc.assert(
      fc.property(sockFile, (file) => {
        const node = exportSock(file, options('node'));
        assertNodeParses('a made-up file', node.code);
        const py = exportSock(file, options('python'));
        python.push([`made-up file ${python.length + 1}`, py.code]);
        // A statement left out is a comment at its place, in both programs.
        for (const n of py.untranslated) assert.ok(py.code.includes(`NOT TRANSLATED (test.sock:${n.line}`), n.source);
        for (const n of node.untranslated) assert.ok(node.code.includes(`NOT TRANSLATED (test.sock:${n.line}`), n.source);
      }),
      { numRuns: 150 },
    );
    await assertPythonParses(python);
  });

  it('names what has no translation, with its line and why: a UDP relay', () => {
    const file = parseSock(
      [
        '### A bandwidth',
        'connect udp 127.0.0.1:9',
        'repeat 10 rate 2KB/s',
        '  send "x"',
        'end',
        '### A UDP relay',
        'listen udp 127.0.0.1:0',
        'forward udp 127.0.0.1:9',
        '',
        '### A group',
        'listen udp [::]:5007',
        'join ff02::1:3',
        'echo',
        '',
      ].join('\n'),
    );
    assert.deepEqual(file.diagnostics.filter((d) => d.severity === 'error'), []);
    for (const lang of ['python', 'node'] as const) {
      const r = exportSock(file, options(lang));
      assert.deepEqual(
        r.untranslated.map((n) => [n.line, n.source, n.reason.replace(/:.*/, '')]),
        [
          [8, 'forward udp 127.0.0.1:9', 'a UDP relay has no translation'],
        ],
        lang,
      );
    }
  });

  it('writes the listener policy and groups: max-conns, allow, deny, idle-timeout, join', () => {
    const file = parseSock(['### A guarded listener', 'listen tcp 127.0.0.1:0', 'max-conns 2', 'allow 127.0.0.0/8', 'deny 127.0.0.2', 'idle-timeout 1500ms', 'echo', '### A group', 'listen udp 0.0.0.0:5007', 'join 239.1.2.3 127.0.0.1', 'echo', ''].join('\n'));
    const py = exportSock(file, options('python'));
    assert.deepEqual(py.untranslated, []);
    assert.match(py.code, /serve\('block 1', listener, block_1_session, policy=\{'max_conns': 2, 'allow': \['127\.0\.0\.0\/8'\], 'deny': \['127\.0\.0\.2'\], 'idle': 1\.5\}\)/);
    assert.match(py.code, /socket\.IP_ADD_MEMBERSHIP, struct\.pack\('4s4s', socket\.inet_aton\('239\.1\.2\.3'\), socket\.inet_aton\('127\.0\.0\.1'\)\)/);
    const node = exportSock(file, options('node'));
    assert.deepEqual(node.untranslated, []);
    assert.match(node.code, /\{ maxConns: 2, allow: \['127\.0\.0\.0\/8'\], deny: \['127\.0\.0\.2'\], idle: 1500 \}/);
    assert.match(node.code, /listener\.addMembership\('239\.1\.2\.3', '127\.0\.0\.1'\);/);
  });

  it('--block N exports that block with the listeners and kept connections it names, and nothing else', () => {
    const file = parseSock(['### A', 'listen tcp 127.0.0.1:0 as a', 'echo', '### B', 'listen tcp 127.0.0.1:0 as b', 'echo', '### C', 'connect tcp {{b}} as kept keep', 'send "x"', '### D', 'use kept', 'recv 1', ''].join('\n'));
    const py = exportSock(file, { ...options('python'), blocks: [4] }).code;
    assert.match(py, /blocks 2, 3, 4, exported by Socket Lab/);
    assert.deepEqual([...py.matchAll(/^def (block_\d+)/gm)].map((m) => m[1]), ['block_2', 'block_3', 'block_4']);
    assert.throws(() => exportSock(file, { ...options('node'), blocks: [9] }), /there is no block 9: the file has 4/);
  });
});

describe('export: a load as threads (Python) and promises (Node)', function () {
  this.timeout(60_000);

  it('runs the sessions, counts them as one case, and checks the load expectations on their figures', async () => {
    const text = (p99: string): string =>
      ['### An echo', 'listen tcp 127.0.0.1:0 as echo', 'echo', '', '### Many clients', 'connect tcp {{echo}}', 'load 20 clients ramp 100ms', 'send "PING\\n"', 'recv line', 'expect "PING"', `expect p99 < ${p99}`, 'expect errors 0', '', '### Open loop', 'connect tcp {{echo}}', 'load 5 clients rate 50/s for 500ms', 'send "x\\n"', 'recv line', ''].join('\n');
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-export-load-'));
    try {
      for (const [p99, totals, status] of [['5s', '3 passed, 0 failed, 0 errors', 0], ['1us', '2 passed, 1 failed, 0 errors', 1]] as const) {
        const file = parseSock(text(p99));
        for (const lang of ['python', 'node'] as const) {
          const out = join(dir, lang === 'python' ? 'load.py' : 'load.mjs');
          const r = exportSock(file, options(lang));
          assert.deepEqual(r.untranslated, []);
          await writeFile(out, r.code);
          const ran = await run(lang === 'python' ? 'python3' : process.execPath, [out], { timeoutMs: 30_000 });
          assert.equal(ran.code, status, ran.stdout + ran.stderr);
          assert.equal(ran.stdout.trim().split('\n').at(-1), totals, lang);
          assert.match(ran.stdout, /\[block 2\] load: 20 sessions in [\d.]+ s \([\d.]+\/s\); round trip median [\d.]+ ms, p99 [\d.]+ ms; 0 failed, 0 errors, 0 dropped/);
          assert.match(ran.stdout, /\[block 3\] load: \d+ sessions in [\d.]+ s/);
          // The first session prints its traffic; the other 19 are counted.
          assert.equal(ran.stdout.match(/\[block 2 v\d+\] sent/g)?.length, 1, lang);
          if (status === 1) assert.match(ran.stdout, /line 11: the round-trip p99 is [\d.]+ ms/);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('export: a relay that rewrites both ways', function () {
  this.timeout(60_000);

  it('rewrites as Socket Lab does: the regex up, the bytes down, on both legs', async () => {
    const { python } = await verifyExport({ file: 'test/unit/export/files/rewriting-relay.sock' });
    assert.match(python.stdout, /\[relay c1 upstream\] sent 22 bytes: b'hello, user=anonymous\\n'/);
    assert.match(python.stdout, /\[relay c1\] sent 22 bytes: b'HELLO, user=anonymous\\n'/);
  });
});

describe('export: repeat … rate BYTES/s', function () {
  this.timeout(60_000);

  it('paces the sends by their bytes: 2,000 bytes at 4KB/s take half a second in both programs, as in Socket Lab', async () => {
    const started = performance.now();
    const { sock, python, node } = await verifyExport({ file: 'test/unit/export/files/paced.sock', udpListeners: ['sink'] });
    assert.equal(sock.connections.get('block 2')?.[0].outTotal, 2000);
    for (const [lang, ran] of [['python', python], ['node', node]] as const) assert.equal(ran.stdout.match(/\[block 2\] sent 100 bytes/g)?.length, 20, lang);
    // Three runs of at least 0.475 s each (the 20th round is due at 0.5 s).
    assert.ok(performance.now() - started >= 3 * 475, `${Math.round(performance.now() - started)} ms`);
  });
});

describe('export: the end of a program', function () {
  this.timeout(60_000);

  it("waits for a UDP listener's session still running after the last block, as Socket Lab's run does", async () => {
    const { sock, python, node } = await verifyExport({ file: 'test/unit/export/files/udp-session-end.sock', udpListeners: ['late'] });
    assert.equal(sock.totals, '2 passed, 0 failed, 0 errors');
    for (const [lang, ran] of [['python', python], ['node', node]] as const) assert.match(ran.stdout, /\[late d1\] line 10: passed/, lang);
  });
});

describe('socket-lab export', function () {
  this.timeout(60_000);

  it('prints the program, says on stderr what has no translation, and writes --output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-export-cli-'));
    try {
      const sock = join(dir, 'load.sock');
      await writeFile(sock, '### A UDP relay\nlisten udp 127.0.0.1:0\nforward udp 127.0.0.1:9\n');
      const r = await cli(['export', sock, '--lang', 'python']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^#!\/usr\/bin\/env python3\n"""load\.sock, exported by Socket Lab/);
      assert.equal(r.stderr, `${sock}:3: not translated: forward udp 127.0.0.1:9: a UDP relay has no translation\n`);
      const out = join(dir, 'load.mjs');
      const w = await cli(['export', sock, '--lang', 'node', '--output', out]);
      assert.equal(w.code, 0, w.stderr);
      assert.equal(w.stdout, '');
      assert.match(await readFile(out, 'utf8'), /^#!\/usr\/bin\/env node\n/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file with errors, an unknown block and an unknown language, exit 2, saying why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'socket-lab-export-cli-'));
    try {
      const bad = join(dir, 'bad.sock');
      await writeFile(bad, '### x\nconnect tcp localhost\n');
      const r = await cli(['export', bad, '--lang', 'python']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /bad\.sock:2:13: error: "localhost": expected HOST:PORT/);
      assert.match(r.stderr, /has errors; nothing was exported/);
      assert.equal(r.stdout, '');
      const unknown = await cli(['export', 'examples/redis.sock', '--lang', 'node', '--block', '99']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /there is no block 99: the file has 4/);
      const unwritable = await cli(['export', 'examples/redis.sock', '--lang', 'node', '--output', join(dir, 'no', 'such', 'dir', 'p.mjs')]);
      assert.equal(unwritable.code, 2);
      assert.match(unwritable.stderr, /^socket-lab: cannot write .*p\.mjs: ENOENT\n$/);
      const lang = await cli(['export', 'examples/redis.sock', '--lang', 'ruby']);
      assert.equal(lang.code, 2);
      assert.match(lang.stderr, /Allowed choices are python, node/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
