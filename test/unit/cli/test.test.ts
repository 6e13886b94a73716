// `socket-lab test` against python3 -m http.server: a folder of .sock files becomes a test run
// with JUnit, TAP and JSON reports that other programs' parsers read back (junit2json, tap-parser),
// environments with secrets kept out of every report, --jobs, --bail, --filter and --repeat.
import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseJunit } from 'junit2json';
import { Parser as TapParser, type FinalResults } from 'tap-parser';
import { CLI, run, startHttpServer, type Finished, type Running } from '../helpers';

/** Runs `socket-lab test ARGS` in `cwd`. */
function slTest(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return run(process.execPath, [CLI, 'test', ...args], { cwd, env: { ...process.env, ...env }, timeoutMs: 60_000 });
}

function tap(text: string): Promise<FinalResults> {
  return new Promise((resolve) => new TapParser(resolve).end(text));
}

const get = (port: number, path: string, want: string, title: string): string =>
  `### ${title}\nconnect tcp 127.0.0.1:${port}\nsend "GET ${path} HTTP/1.0\\r\\n\\r\\n"\nrecv all\nexpect ${want}\n`;

describe('socket-lab test: .sock files as tests, against python3 -m http.server', function () {
  this.timeout(120_000);
  let www: string;
  let dir: string;
  let server: Running;
  let port = 0;

  before(async () => {
    www = await mkdtemp(join(tmpdir(), 'socket-lab-www-'));
    await writeFile(join(www, 'hello.txt'), 'hello from http.server\n');
    ({ server, port } = await startHttpServer(www, { suite: true, timeoutMs: 120_000 }));
    dir = await mkdtemp(join(tmpdir(), 'socket-lab-suite-'));
    await mkdir(join(dir, 'http'));
    await mkdir(join(dir, 'build'));
    await mkdir(join(dir, 'node_modules'));
    await writeFile(join(dir, '.gitignore'), 'build/\n');
    await writeFile(join(dir, 'http', 'pass.sock'), get(port, '/hello.txt', '/200 OK/', 'hello is served') + get(port, '/hello.txt', '"hello from http.server"', 'its body'));
    await writeFile(join(dir, 'http', 'fail.sock'), get(port, '/missing.txt', '/200 OK/', 'a missing file') + get(port, '/', '/Directory listing/', 'the listing'));
    // A listener fixture and a kept connection: the cases that use them need them.
    await writeFile(join(dir, 'local.sock'), '### an echo listener\nlisten tcp 127.0.0.1:0 as echo\necho\n\n### keeps a connection\nconnect tcp {{echo}} as kept keep\n\n### uses it\nuse kept\nsend "ping\\n"\nrecv line\nexpect "ping"\n\n### another\nconnect tcp {{echo}}\nsend "x"\nrecv 1\nexpect "x"\n');
    await writeFile(join(dir, 'build', 'ignored.sock'), '### never run\nconnect tcp 127.0.0.1:1\n');
    await writeFile(join(dir, 'node_modules', 'skipped.sock'), '### never run\nconnect tcp 127.0.0.1:1\n');
  });

  after(async () => {
    server.child.kill('SIGKILL');
    await rm(www, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every .sock file of a folder but what .gitignore and node_modules hide: a case per client block, exit 1 for a failure, the failure at its line with expected and actual', async () => {
    const r = await slTest(dir, []);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /✘ http\/fail\.sock › a missing file\n {4}http\/fail\.sock:5:1: expect \/200 OK\/\n/);
    assert.match(r.stdout, /expected: \/200 OK\/\n {6}actual: {3}HTTP\/1\.0 404 File not found/);
    assert.match(r.stdout, /^6 passed, 1 failed in 3 file runs/m);
    assert.doesNotMatch(r.stdout + r.stderr, /ignored|skipped\.sock/);
    // Not a terminal: one plain line per file on stderr.
    assert.match(r.stderr, /^✔ http\/pass\.sock: 2 passed \(\d+ ms\)$/m);
    assert.match(r.stderr, /^✘ http\/fail\.sock: 1 passed, 1 failed \(\d+ ms\)$/m);
  });

  it('JUnit XML that junit2json reads back: a testsuite per file, a testcase per block with its time, the failure with expected and actual; --report-file keeps the summary on stdout', async () => {
    const r = await slTest(dir, ['--reporter', 'junit', '--report-file', 'report.xml']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /6 passed, 1 failed/);
    const report = await parseJunit(await readFile(join(dir, 'report.xml'), 'utf8'));
    assert.ok(report && 'testsuite' in report);
    assert.equal(report.tests, 7);
    assert.equal(report.failures, 1);
    assert.deepEqual(report.testsuite?.map((s) => [s.name, s.tests, s.failures]), [['http/fail.sock', 2, 1], ['http/pass.sock', 2, 0], ['local.sock', 3, 0]]);
    const failed = report.testsuite?.[0].testcase?.[0];
    assert.equal(failed?.name, 'a missing file');
    assert.equal(failed?.classname, 'http/fail.sock');
    assert.ok(typeof failed?.time === 'number' && failed.time >= 0);
    assert.match(failed?.failure?.[0].message ?? '', /\/200 OK\/ does not match/);
    assert.match(failed?.failure?.[0].inner ?? '', /^line 5: expect \/200 OK\/\n[\s\S]*expected: \/200 OK\/\nactual: {3}HTTP\/1\.0 404/);
    // The fixture listener is not a case; the blocks around it are.
    assert.deepEqual(report.testsuite?.[2].testcase?.map((c) => c.name), ['keeps a connection', 'uses it', 'another']);
  });

  it('TAP 14 that tap-parser reads with the same counts, and JSON with the same cases', async () => {
    const t = await slTest(dir, ['--reporter', 'tap']);
    const parsed = await tap(t.stdout);
    assert.equal(parsed.count, 7);
    assert.equal(parsed.pass, 6);
    assert.equal(parsed.fail, 1);
    assert.equal(parsed.failures[0].name, 'http/fail.sock > a missing file');
    assert.match(JSON.stringify(parsed.failures[0].diag), /"expected":"\/200 OK\/"/);
    const j = await slTest(dir, ['--reporter', 'json']);
    const doc = JSON.parse(j.stdout) as { totals: Record<string, number>; files: { file: string; cases: { name: string; status: string }[] }[] };
    assert.deepEqual(doc.totals, { files: 3, passed: 6, failed: 1, errored: 0, skipped: 0 });
    assert.deepEqual(doc.files.map((f) => f.file), ['http/fail.sock', 'http/pass.sock', 'local.sock']);
  });

  it('--jobs 1 and --jobs 4 give the same results; --repeat 2 runs each file twice', async () => {
    const statuses = async (args: string[]): Promise<string[]> => {
      const doc = JSON.parse((await slTest(dir, ['--reporter', 'json', ...args])).stdout) as { files: { file: string; round: number; cases: { name: string; status: string }[] }[] };
      return doc.files.flatMap((f) => f.cases.map((c) => `${f.file}#${f.round} ${c.name}: ${c.status}`));
    };
    const serial = await statuses(['--jobs', '1']);
    assert.equal(serial.length, 7);
    assert.deepEqual(await statuses(['--jobs', '4']), serial);
    const twice = await statuses(['--jobs', '4', '--repeat', '2']);
    assert.equal(twice.length, 14);
    assert.deepEqual(twice.filter((s) => s.includes('#2 ')).map((s) => s.replace('#2 ', '#1 ')), serial);
  });

  it('--filter runs the matching cases and what they need (the listener, the kept connection); --bail stops after the first failing file', async () => {
    const f = await slTest(dir, ['local.sock', '--filter', '^uses', '--reporter', 'tap']);
    assert.equal(f.code, 0, f.stdout + f.stderr);
    const parsed = await tap(f.stdout);
    assert.equal(parsed.count, 1);
    assert.match(f.stdout, /ok 1 - local\.sock > uses it/);
    const b = await slTest(dir, ['http/fail.sock', 'http/pass.sock', 'local.sock', '--jobs', '1', '--bail', '--reporter', 'json']);
    assert.equal(b.code, 1);
    assert.deepEqual((JSON.parse(b.stdout) as { files: { file: string }[] }).files.map((x) => x.file), ['http/fail.sock']);
  });

  it('environments: $shared, --env and --var in that order; a secret from the process environment never reaches a report', async () => {
    const envDir = await mkdtemp(join(tmpdir(), 'socket-lab-env-'));
    try {
      await writeFile(join(envDir, 'sock.env.json'), JSON.stringify({ $shared: { path: '/hello.txt', port }, local: { want: 'hello' }, ci: { want: { $env: 'SL_TEST_SECRET' } } }));
      await writeFile(join(envDir, 'env.sock'), `### sends the path\nconnect tcp 127.0.0.1:{{port}}\nsend "GET {{path}}?{{want}} HTTP/1.0\\r\\n\\r\\n"\nrecv all\nexpect "{{want}} from"\n`);
      assert.equal((await slTest(envDir, ['--env', 'local'])).code, 0);
      // --var wins over the environment.
      const over = await slTest(envDir, ['--env', 'local', '--var', 'want=nothing']);
      assert.equal(over.code, 1);
      assert.match(over.stdout, /expected: nothing from/);
      const secret = 'sEcReT-4242';
      for (const reporter of ['human', 'junit', 'tap', 'json']) {
        const r = await slTest(envDir, ['--env', 'ci', '--reporter', reporter], { SL_TEST_SECRET: secret });
        assert.equal(r.code, 1, `${reporter}: ${r.stdout}${r.stderr}`);
        assert.ok(!(r.stdout + r.stderr).includes(secret), `${reporter} shows the secret:\n${r.stdout}`);
        assert.match(r.stdout, /\*\*\* from/, reporter);
      }
      const missing = await slTest(envDir, ['--env', 'ci'], { SL_TEST_SECRET: undefined });
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /reads SL_TEST_SECRET from the process environment, which is not set/);
      const unknown = await slTest(envDir, ['--env', 'prod']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no environment "prod"; the file has "local", "ci"/);
    } finally {
      await rm(envDir, { recursive: true, force: true });
    }
  });

  it('exit 2 with the error at its line for a file that does not parse, and for a folder with no .sock file', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'socket-lab-bad-'));
    try {
      const none = await slTest(bad, []);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /no \.sock files under the current folder/);
      await writeFile(join(bad, 'bad.sock'), '### broken\nconnect tcp 127.0.0.1:80\nsendd "x"\n');
      const r = await slTest(bad, ['--reporter', 'junit']);
      assert.equal(r.code, 2);
      const report = await parseJunit(r.stdout);
      assert.ok(report && 'testsuite' in report);
      assert.equal(report.errors, 1);
      assert.match(report.testsuite?.[0].testcase?.[0].error?.[0].message ?? '', /^bad\.sock:3:1: error: /);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
