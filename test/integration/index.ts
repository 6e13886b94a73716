// The tests entry for a real VS Code extension host: the `run()` contract of @vscode/test-electron,
// which test/host/run.mjs (code-server in headless Chromium, offline) and test/host/electron.mjs
// (downloaded VS Code) both use. test/host/build-tests.mjs bundles this file and every
// `*.test.ts` under test/integration into out/integration/; this runs the bundled tests with mocha.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

/** Counts of the last run, read by the harness's marker wrapper (test/host/wrapper.mjs). */
export const results = { passed: 0, failed: 0, pending: 0, total: 0 };

/** Runs every bundled `*.test.js` next to this file; rejects when a test failed or none ran. */
export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: 20_000, slow: 2_000, forbidOnly: Boolean(process.env.CI) });
  const files = readdirSync(__dirname, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(join(__dirname, f));
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files in ${__dirname}`));

  return new Promise((resolve, reject) => {
    // mocha.run() loads the files synchronously: a test file that throws at load throws here,
    // inside the executor, and so rejects this promise.
    const runner = mocha.run((failures) => {
      const stats = runner.stats;
      Object.assign(results, {
        passed: stats?.passes ?? 0,
        failed: failures,
        pending: stats?.pending ?? 0,
        total: stats?.tests ?? 0,
      });
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else if (results.total === 0) reject(new Error('no integration tests ran'));
      else resolve();
    });
  });
}
