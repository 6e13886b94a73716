#!/usr/bin/env node
// Runs the integration tests inside a real VS Code extension host, offline: the VS Code server
// of the npm package code-server (installed by install.mjs), its web workbench in Debian's
// Chromium (headless, driven by playwright-core), and the extension-test payload in the URL. The
// extension host loads this repository as the extension under development and calls the tests
// module's run(), as @vscode/test-electron does. See /work/shared/VSCODE-TEST-HOST.md.
//
// It builds the integration tests (test/host/build-tests.mjs) but not the extension: run
// `npm run build` first (`npm run test:integration` does both).
//
// Exit status: 0 the tests passed; 1 a test failed, the tests module failed to load, or the
// extension host died before run() settled (process.exit, crash); 2 a hang (--timeout), the server
// or browser died, or the harness itself failed; 130 interrupted.
//
// Leaves test-results/workbench.png (the workbench at the end of the run) and
// test-results/host-logs/ (the log files the workbench hands over when the tests exit).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { format, parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { buildIntegrationTests, REPO_ROOT } from './build-tests.mjs';
import { hostPaths, isInstalled } from './install.mjs';
import { judgeMarker, readMarker, writeTestsWrapper } from './wrapper.mjs';

/**
 * Does one thing in a webview: finds the element in any frame of the workbench (webviews are
 * nested iframes), retrying for up to 10 s while the view loads, and fills, presses, clicks or
 * selects on it as a person would.
 * @param {import('playwright-core').Page} page
 * @param {string} action @param {string} selector @param {string | undefined} json the argument, as JSON
 */
async function webviewAction(page, action, selector, json) {
  // Parsed here, inside the promise: a malformed argument fails this action, not the log handler.
  const arg = json === undefined ? undefined : JSON.parse(json);
  const deadline = Date.now() + 10_000;
  for (;;) {
    for (const frame of page.frames()) {
      const el = await frame.$(selector).catch(() => null);
      if (!el) continue;
      if (action === 'fill') await el.fill(String(arg ?? ''));
      else if (action === 'press') await el.press(String(arg ?? 'Enter'));
      else if (action === 'click') await el.click();
      else await el.selectOption(String(arg ?? ''));
      return;
    }
    if (Date.now() > deadline) throw new Error(`no frame has ${selector}`);
    await sleep(200);
  }
}

const USAGE = `usage: node test/host/run.mjs [options]

  --tests FILE        tests module to run (exports run()); default: bundle test/integration
  --suite NAME        bundle and run test/NAME instead (e.g. integration-restricted)
                      into out/integration/ and run out/integration/index.js
  --extension DIR     extension under development (default: the repository)
  --workspace DIR     folder to open (default: a fresh empty temporary folder)
  --workspace-trust   keep workspace trust on: the folder opens in Restricted Mode
                      (default: --disable-workspace-trust)
  --timeout SECONDS   fail when the run has not finished by then (default 600,
                      or $SOCKET_LAB_TEST_TIMEOUT)
  --screenshot FILE   where the final screenshot goes (default test-results/workbench.png)
  --chromium PATH     browser binary (default $CHROMIUM_PATH or /usr/bin/chromium)
  --keep-temp         keep the temporary folders (server data, logs) and print where
  -h, --help`;

const EXIT = { passed: 0, failed: 1, harness: 2, interrupted: 130 };

// As root Chromium needs --no-sandbox; the rest keeps it from reaching the network on its own.
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/** User settings: nothing phones home, updates or opens a welcome page; no trust prompt blocks a run. */
const USER_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.settings.enableNaturalLanguageSearch': false,
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'npm.fetchOnlinePackageInfo': false,
  'security.workspace.trust.startupPrompt': 'never',
};

/** @param {string} msg */
function say(msg) {
  process.stdout.write(`[run] ${msg}\n`);
}

/** @returns {{ tests?: string, suite: string, extension: string, workspace?: string, trust: boolean, timeoutMs: number, screenshot: string, chromium: string, keepTemp: boolean }} */
function parseOptions() {
  const { values } = parseArgs({
    options: {
      tests: { type: 'string' },
      extension: { type: 'string' },
      workspace: { type: 'string' },
      'workspace-trust': { type: 'boolean', default: false },
      suite: { type: 'string' },
      timeout: { type: 'string' },
      screenshot: { type: 'string' },
      chromium: { type: 'string' },
      'keep-temp': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const timeoutText = values.timeout ?? process.env.SOCKET_LAB_TEST_TIMEOUT ?? '600';
  const timeoutSec = Number(timeoutText);
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) throw new Error(`--timeout: not a positive number of seconds: ${timeoutText}`);
  return {
    tests: values.tests && resolve(values.tests),
    extension: resolve(values.extension ?? REPO_ROOT),
    workspace: values.workspace && resolve(values.workspace),
    trust: values['workspace-trust'],
    suite: values.suite ?? 'integration',
    timeoutMs: timeoutSec * 1000,
    screenshot: resolve(values.screenshot ?? join(REPO_ROOT, 'test-results', 'workbench.png')),
    chromium: values.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    keepTemp: values['keep-temp'],
  };
}

/**
 * A settable one-shot outcome: the first of the tests' exit, a timeout, a dead server or browser,
 * or an interrupt decides the run.
 * @typedef {{ kind: 'exit', code: number }
 *   | { kind: 'timeout' } | { kind: 'server-died', detail: string } | { kind: 'browser-died', detail: string }
 *   | { kind: 'interrupted', signal: string }} Outcome
 */
function outcomeLatch() {
  /** @type {(o: Outcome) => void} */
  let settle = () => {};
  /** @type {Promise<Outcome>} */
  const promise = new Promise((r) => {
    settle = r;
  });
  let done = false;
  return {
    promise,
    /** @param {Outcome} o */
    set(o) {
      if (!done) {
        done = true;
        settle(o);
      }
    },
    get done() {
      return done;
    },
  };
}

/**
 * Makes the private folders of one run under `root` (server data, user data, extensions, XDG
 * folders, a workspace, a browser home) and the user settings; never the user's own.
 * @param {string} root a fresh temporary folder
 * @returns {Record<string, string>} the folders by name, `root` included
 */
export function createHostDirs(root) {
  /** @type {Record<string, string>} */
  const dirs = { root };
  for (const d of ['userData', 'serverData', 'extensions', 'xdgConfig', 'xdgData', 'xdgCache', 'xdgState', 'xdgRuntime', 'tmp', 'workspace', 'entry', 'browserHome']) {
    dirs[d] = join(root, d);
    mkdirSync(dirs[d], { recursive: true, mode: 0o700 });
  }
  // code-server's web workbench reads user settings from the server's --user-data-dir.
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), `${JSON.stringify(USER_SETTINGS, null, 2)}\n`);
  return dirs;
}

/**
 * The VS Code server's arguments for the folders of {@link createHostDirs}.
 * @param {Record<string, string>} dirs
 */
export function serverDirArgs(dirs) {
  return ['--accept-server-license-terms', '--user-data-dir', dirs.userData, '--server-data-dir', dirs.serverData, '--extensions-dir', dirs.extensions];
}

/**
 * The environment of the VS Code server: its own XDG folders and TMPDIR, no marketplace.
 * @param {Record<string, string>} dirs
 * @returns {NodeJS.ProcessEnv}
 */
export function serverEnv(dirs) {
  /** @type {NodeJS.ProcessEnv} */
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Variables of an enclosing VS Code (its terminal) would point the server at that instance.
    if (!k.startsWith('VSCODE_') && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v;
  }
  Object.assign(env, {
    XDG_CONFIG_HOME: dirs.xdgConfig, XDG_DATA_HOME: dirs.xdgData, XDG_CACHE_HOME: dirs.xdgCache,
    XDG_STATE_HOME: dirs.xdgState, XDG_RUNTIME_DIR: dirs.xdgRuntime, TMPDIR: dirs.tmp,
    EXTENSIONS_GALLERY: '{}', // no marketplace
  });
  return env;
}

/**
 * Starts the VS Code server in its own process group; resolves with its port once it listens.
 * @param {{ serverMain: string, dirs: Record<string, string>, trust: boolean, onExit: (detail: string) => void }} o
 */
export async function startServer({ serverMain, dirs, trust, onExit }) {
  const args = [serverMain, '--host', '127.0.0.1', '--port', '0', '--without-connection-token',
    '--enable-smoke-test-driver', '--telemetry-level', 'off', ...serverDirArgs(dirs)];
  if (!trust) args.push('--disable-workspace-trust');
  const env = serverEnv(dirs);
  const child = spawn(process.execPath, args, { cwd: dirs.root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise((resolvePort, rejectPort) => {
    const timer = setTimeout(() => rejectPort(new Error('the server did not listen within 60 s')), 60_000);
    let buffered = '';
    /** @param {Buffer} chunk */
    const onData = (chunk) => {
      const text = chunk.toString();
      for (const line of text.split('\n')) if (line.trim()) process.stdout.write(`[server] ${line}\n`);
      buffered += text;
      const m = /Extension host agent listening on (\d+)/.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      clearTimeout(timer);
      rejectPort(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const detail = `the server exited (${signal ?? `code ${code}`})`;
      rejectPort(new Error(`${detail} before it listened`));
      onExit(detail);
    });
  });
  return { child, port: /** @type {number} */ (port) };
}

/**
 * Launches headless Chromium with the run's private folders and opens one 1280×800 page for the
 * workbench. The caller handles the signals (it still takes the screenshot and closes everything).
 * @param {string} executablePath @param {Record<string, string>} dirs from {@link createHostDirs}
 * @param {(detail: string) => void} onDied the browser disconnected or the page crashed
 * @returns {Promise<{ browser: import('playwright-core').Browser, page: import('playwright-core').Page }>}
 */
export async function openWorkbenchPage(executablePath, dirs, onDied) {
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    env: { ...process.env, HOME: dirs.browserHome, XDG_CONFIG_HOME: dirs.xdgConfig, XDG_CACHE_HOME: dirs.xdgCache, TMPDIR: dirs.tmp },
  });
  try {
    browser.on('disconnected', () => onDied('the browser disconnected'));
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('crash', () => onDied('the workbench page crashed'));
    return { browser, page };
  } catch (err) {
    await browser.close().catch(() => {});
    throw err;
  }
}

/**
 * Kills a process group: SIGTERM, then SIGKILL after a grace period.
 * @param {import('node:child_process').ChildProcess} child a child spawned with detached: true
 */
export async function killGroup(child) {
  if (child.pid === undefined) return;
  const alive = () => {
    try {
      process.kill(-(/** @type {number} */ (child.pid)), 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && alive(); i++) await sleep(100);
  if (alive()) {
    say('the server ignored SIGTERM for 5 s: SIGKILL');
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * A promise that rejects after ms (for steps that must not hang the cleanup).
 * @template T @param {Promise<T>} p @param {number} ms @param {string} what
 * @returns {Promise<T>}
 */
export function within(p, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** @param {unknown[]} args */
function formatLogArgs(args) {
  return format(...(Array.isArray(args) ? args : [args]));
}

/**
 * Saves the log files the workbench hands to codeAutomationExit under test-results/host-logs.
 * @param {unknown} logs @param {string} dir
 */
function saveHostLogs(logs, dir) {
  if (!Array.isArray(logs)) return;
  for (const entry of logs) {
    if (!entry || typeof entry.relativePath !== 'string' || typeof entry.contents !== 'string') continue;
    const file = normalize(join(dir, entry.relativePath));
    if (!file.startsWith(dir + sep)) continue; // never outside the folder
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, entry.contents);
  }
}

async function main() {
  const opts = parseOptions();
  const started = performance.now();
  const host = hostPaths();
  if (!isInstalled(host.dir)) throw new Error(`no test host in ${host.dir}: run node test/host/install.mjs first`);
  const bundle = join(REPO_ROOT, 'dist', 'extension.js');
  if (opts.extension === REPO_ROOT && !existsSync(bundle)) throw new Error(`${bundle} missing: run npm run build first`);
  if (!existsSync(opts.chromium)) throw new Error(`${opts.chromium} missing: run node test/host/install.mjs (it installs Debian's chromium)`);

  const testsModule = opts.tests ?? (await buildIntegrationTests(opts.suite));
  if (!existsSync(testsModule)) throw new Error(`tests module ${testsModule} missing`);

  const resultsDir = dirname(opts.screenshot);
  mkdirSync(resultsDir, { recursive: true });
  const defaultResults = join(REPO_ROOT, 'test-results');
  if (resultsDir === defaultResults) writeFileSync(join(resultsDir, '.gitignore'), '# written by test/host/run.mjs\n*\n');
  const hostLogsDir = join(resultsDir, 'host-logs');
  rmSync(hostLogsDir, { recursive: true, force: true });

  // Everything the server, its extension hosts and the browser write goes under one temp root.
  const root = mkdtempSync(join(tmpdir(), 'socket-lab-host-'));
  const dirs = createHostDirs(root);
  const workspace = opts.workspace ?? dirs.workspace;
  const { wrapperPath, markerPath } = writeTestsWrapper(dirs.entry, testsModule);

  const outcome = outcomeLatch();
  const timer = setTimeout(() => outcome.set({ kind: 'timeout' }), opts.timeoutMs);
  /** @param {NodeJS.Signals} signal */
  const onSignal = (signal) => outcome.set({ kind: 'interrupted', signal });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  /** @type {import('node:child_process').ChildProcess | undefined} */
  let server;
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  /** @type {import('playwright-core').Page | undefined} */
  let page;
  // Last resort if this process dies without running the cleanup below.
  const killOnExit = () => {
    if (server?.pid !== undefined) {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killOnExit);

  let exitStatus = EXIT.harness;
  try {
    const s = await startServer({
      serverMain: host.serverMain,
      dirs,
      trust: opts.trust,
      onExit: (detail) => outcome.set({ kind: 'server-died', detail }),
    });
    server = s.child;
    const authority = `127.0.0.1:${s.port}`;
    say(`server on http://${authority} (pid ${server.pid}); temp ${root}`);

    ({ browser, page } = await openWorkbenchPage(opts.chromium, dirs, (detail) => outcome.set({ kind: 'browser-died', detail })));
    page.on('pageerror', (err) => process.stdout.write(`[workbench] page error: ${err.message}\n`));

    // The workbench calls these two in extension-test mode (--enable-smoke-test-driver): every log
    // line, the extension host's console included, and the exit code when the tests are done.
    /** The keyboard actions of `[keyboard]` lines, chained. */
    let keyboard = Promise.resolve();
    await page.exposeFunction('codeAutomationLog', (/** @type {string} */ type, /** @type {unknown[]} */ args) => {
      const text = formatLogArgs(args);
      process.stdout.write(type === 'info' || type === 'log' ? `${text}\n` : `[${type}] ${text}\n`);
      // A test asks for a picture of the live workbench by logging `[screenshot] NAME`
      // (the closing screenshot comes after the extension host has gone).
      // A test acts in a webview (the page's own DOM, inside the workbench's iframes) by logging
      // `[webview] fill|press|click|select SELECTOR JSON-ARG`; it then waits for the effect itself.
      const act = /\[webview\] (fill|press|click|select) (\S+)(?: (.*))?$/.exec(text);
      if (act) {
        webviewAction(page, act[1], act[2], act[3]).then(
          () => say(`webview: ${act[1]} ${act[2]}`),
          (err) => say(`webview: ${act[1]} ${act[2]} failed: ${err instanceof Error ? err.message : String(err)}`),
        );
      }
      // A test types into the workbench (a quick pick, an input box) by logging
      // `[keyboard] type TEXT` or `[keyboard] press KEY` (Playwright's key names: Enter, Escape).
      const key = /\[keyboard\] (type|press) (.+)$/.exec(text);
      if (key) {
        // One after another, in the order the test logged them.
        keyboard = keyboard.then(() => (key[1] === 'type' ? page.keyboard.type(key[2], { delay: 20 }) : page.keyboard.press(key[2]))).then(
          () => say(`keyboard: ${key[1]} ${key[2]}`),
          (err) => say(`keyboard: ${key[1]} ${key[2]} failed: ${err instanceof Error ? err.message : String(err)}`),
        );
      }
      const shot = /\[screenshot\] ([\w.-]+)/.exec(text);
      if (shot) {
        const file = join(dirname(opts.screenshot), `${shot[1]}.png`);
        page.screenshot({ path: file }).then(
          () => say(`screenshot: ${file}`),
          (err) => say(`no screenshot ${shot[1]}: ${err instanceof Error ? err.message : String(err)}`),
        );
      }
    });
    await page.exposeFunction('codeAutomationExit', (/** @type {number} */ code, /** @type {unknown} */ logs) => {
      saveHostLogs(logs, hostLogsDir);
      outcome.set({ kind: 'exit', code });
    });

    const remote = (/** @type {string} */ p) => `vscode-remote://${authority}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(opts.extension)],
      ['extensionTestsPath', remote(wrapperPath)],
      ['skipWelcome', 'true'],
    ];
    const url = `http://${authority}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    say(`opening the workbench: folder ${workspace}, extension ${opts.extension}, tests ${testsModule}`);
    await page.goto(url, { waitUntil: 'domcontentloaded' });

    const o = await outcome.promise;
    const marker = readMarker(markerPath);
    const verdict = judgeMarker(marker);
    switch (o.kind) {
      case 'exit':
        if (!verdict.ok) {
          say(`FAILED: ${verdict.summary} (workbench exit code ${o.code})`);
          exitStatus = EXIT.failed;
        } else if (o.code !== 0) {
          say(`FAILED: the workbench reported exit code ${o.code} although ${verdict.summary}`);
          exitStatus = EXIT.failed;
        } else {
          say(`PASSED: ${verdict.summary}`);
          exitStatus = EXIT.passed;
        }
        break;
      case 'timeout':
        say(`FAILED: no result after ${opts.timeoutMs / 1000} s (a hang?)${marker ? `; the tests had settled: ${verdict.summary}` : ''}`);
        break;
      case 'server-died':
      case 'browser-died':
        say(`FAILED: ${o.detail} before the tests finished${marker ? ` (${verdict.summary})` : ''}`);
        break;
      case 'interrupted':
        say(`interrupted (${o.signal})`);
        exitStatus = EXIT.interrupted;
        break;
    }
  } catch (err) {
    say(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    exitStatus = EXIT.harness;
  } finally {
    clearTimeout(timer);
    if (page && !page.isClosed()) {
      try {
        await within(page.screenshot({ path: opts.screenshot }), 15_000, 'the screenshot');
        say(`screenshot: ${opts.screenshot}`);
      } catch (err) {
        say(`no screenshot: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // Playwright kills the browser's process group when close() fails or times out on exit.
    if (browser) await within(browser.close(), 10_000, 'closing the browser').catch((err) => say(String(err.message)));
    if (server) await killGroup(server);
    process.off('exit', killOnExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (opts.keepTemp) say(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
    say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s, exit ${exitStatus}`);
  }
  return exitStatus;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (status) => process.exit(status),
    (err) => {
      say(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(EXIT.harness);
    },
  );
}
