#!/usr/bin/env node
// Runs the same integration tests in desktop VS Code through @vscode/test-electron, for machines
// that can download VS Code (it fails offline: the download host does not resolve; use run.mjs
// there). Same tests entry, same marker wrapper, so a process.exit() or crash of the extension
// host fails this runner too. On a Linux machine without a display run it under `xvfb-run -a`.
//
// Usage: npm run build && node test/host/electron.mjs [--vscode-version 1.96.4|stable] [--timeout SECONDS]
// Exit status: 0 passed; 1 a test failed or the extension host died; 2 a hang, a download or
// launch failure.
import { runTests } from '@vscode/test-electron';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import { buildIntegrationTests, REPO_ROOT } from './build-tests.mjs';
import { judgeMarker, readMarker, writeTestsWrapper } from './wrapper.mjs';

/** @param {string} msg */
function say(msg) {
  process.stdout.write(`[electron] ${msg}\n`);
}

/** Terminates this process's direct children (the VS Code that runTests started) after a hang. */
function killChildren() {
  let pids = [];
  try {
    pids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  } catch {
    return; // no children (ps exits 1)
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      // The engine the extension declares (^1.96.0) and the version the offline host runs.
      'vscode-version': { type: 'string', default: process.env.SOCKET_LAB_VSCODE_VERSION ?? '1.96.4' },
      timeout: { type: 'string', default: process.env.SOCKET_LAB_TEST_TIMEOUT ?? '600' },
    },
  });
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new Error(`--timeout: not a positive number of seconds: ${values.timeout}`);
  if (!existsSync(join(REPO_ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js missing: run npm run build first');

  const testsModule = await buildIntegrationTests();
  const root = mkdtempSync(join(tmpdir(), 'socket-lab-electron-'));
  const workspace = join(root, 'workspace');
  const { wrapperPath, markerPath } = writeTestsWrapper(join(root, 'entry'), testsModule);
  mkdirSync(workspace);

  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const hang = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const run = runTests({
      version: values['vscode-version'],
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: wrapperPath,
      launchArgs: [workspace, '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-telemetry', '--disable-updates'],
    }).then(
      (code) => ({ code, error: undefined }),
      (/** @type {unknown} */ error) => ({ code: undefined, error }),
    );
    const result = await Promise.race([run, hang]);
    if (result === 'timeout') {
      say(`FAILED: no result after ${timeoutMs / 1000} s (a hang?)`);
      killChildren();
      return 2;
    }
    const r = /** @type {{ code: number | undefined, error: unknown }} */ (result);
    const verdict = judgeMarker(readMarker(markerPath));
    if (r.error && !readMarker(markerPath)) {
      // The tests never settled: the download or launch failed (offline machines end here), or
      // VS Code or its extension host died.
      say(`FAILED: the tests did not run to the end: ${r.error instanceof Error ? r.error.message : String(r.error)}`);
      return 2;
    }
    if (!verdict.ok || r.error) {
      say(`FAILED: ${verdict.ok ? `VS Code exited with ${String(r.error)}` : verdict.summary}`);
      return 1;
    }
    say(`PASSED: ${verdict.summary}`);
    return 0;
  } finally {
    clearTimeout(timer);
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (status) => process.exit(status),
  (err) => {
    say(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
