// Root hooks for every unit test: an uncaught exception or unhandled rejection anywhere fails
// the run (mocha reports uncaught exceptions itself; rejections are made to throw here), and
// every child process a test started is killed after each test.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { killAllChildren, ROOT, run } from './helpers';

process.on('unhandledRejection', (reason) => {
  throw reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`);
});

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    // The programs the tests run as peers must be installed: fail once, naming the command that
    // installs them, rather than with a `spawn … ENOENT` in every test that needs one.
    const tools = spawnSync(process.execPath, [join(ROOT, 'test', 'host', 'tools.mjs'), '--check'], { encoding: 'utf8' });
    if (tools.status !== 0) {
      const missing = new Error(tools.stderr.trim() || `test/host/tools.mjs --check failed: ${tools.error?.message ?? `exit ${tools.status}`}`);
      missing.stack = missing.message; // the message says it all: no stack trace
      throw missing;
    }
    // The CLI tests run the bundle users run: build it from the current sources first.
    const r = await run(process.execPath, [join(ROOT, 'esbuild.mjs')]);
    assert.equal(r.code, 0, `the build failed: ${r.stderr}`);
  },
  afterEach(): void {
    killAllChildren();
  },
  afterAll(): void {
    // Mocha exits when nothing is left open. A socket, server or timer that a test leaked would
    // keep it alive forever: fail the run instead, naming what is still open.
    setTimeout(() => {
      process.stderr.write(`socket-lab tests: handles still open 10 s after the last test: ${process.getActiveResourcesInfo().join(', ')}\n`);
      process.exit(1);
    }, 10_000).unref();
  },
};
