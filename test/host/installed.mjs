#!/usr/bin/env node
// The installed-package test: what a person gets from the marketplace. Packages the extension
// with vsce (as `npm run package` does), installs the .vsix into the offline VS Code host with
// the server's own `--install-extension`, opens the workbench in headless Chromium with no
// extension under development, and uses it from the keyboard as a person would: F1, "Socket Lab:
// New Scratch File", F1, "Socket Lab: Start TCP Listener…" with 127.0.0.1:0, then the Socket Lab
// icon in the activity bar. The Sockets view must list the listener as listening, and a
// client from this process must be accepted by it. Then the Get Started walkthrough must open with
// its four steps, and each step's button must do what it says: a scratch file beside it, run (its
// listener joins the tree), the traffic view rendering the run's bytes, a host looked up. No
// error notification may appear. Everything runs on loopback, in temporary folders (extensions,
// user data, server data); the user's ~/.vscode is never read or written.
//
// Run `npm run build` and `node test/host/install.mjs` first (`npm run test:package` does).
//
// Exit status: 0 passed; 1 the workbench did not show what it should; 2 the harness failed
// (no host, vsce or the install failed, the server or browser died, a timeout); 130 interrupted.
//
// Leaves test-results/installed-package.png (the tree with the listener) and
// test-results/installed-walkthrough.png.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './build-tests.mjs';
import { hostPaths, isInstalled } from './install.mjs';
import { createHostDirs, killGroup, openWorkbenchPage, serverDirArgs, serverEnv, startServer, within } from './run.mjs';

const EXIT = { passed: 0, failed: 1, harness: 2, interrupted: 130 };

/** A check of what the workbench shows failed (as opposed to the harness). */
class Failed extends Error {}

/** @param {string} msg */
function say(msg) {
  process.stdout.write(`[installed] ${msg}\n`);
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      vsix: { type: 'string' },
      timeout: { type: 'string', default: '300' },
      screenshot: { type: 'string' },
      chromium: { type: 'string' },
      'keep-temp': { type: 'boolean', default: false },
    },
  });
  const timeoutSec = Number(values.timeout);
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) throw new Error(`--timeout: not a positive number of seconds: ${values.timeout}`);
  return {
    vsix: values.vsix && resolve(values.vsix),
    timeoutMs: timeoutSec * 1000,
    screenshot: resolve(values.screenshot ?? join(REPO_ROOT, 'test-results', 'installed-package.png')),
    chromium: values.chromium ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    keepTemp: values['keep-temp'],
  };
}

/**
 * Runs a command to its end with its output shown; throws when it fails.
 * @param {string} cmd @param {string[]} args @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [opts]
 */
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  for (const line of `${r.stdout}${r.stderr}`.split('\n')) if (line.trim()) say(`  ${line}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/**
 * Polls `probe` until it returns a truthy value; throws {@link Failed} after `ms`.
 * @template T @param {() => Promise<T>} probe @param {number} ms @param {string} what
 * @returns {Promise<NonNullable<T>>}
 */
async function until(probe, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return /** @type {NonNullable<T>} */ (v);
    if (Date.now() > deadline) throw new Failed(`${what}: not seen within ${ms / 1000} s`);
    await sleep(200);
  }
}

/**
 * Runs a command from the palette as a person does: F1, type its title, wait until the focused
 * entry is that command, Enter.
 * @param {import('playwright-core').Page} page @param {string} title e.g. "Socket Lab: New Scratch File"
 */
async function runFromPalette(page, title) {
  say(`F1 → ${title}`);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.type(title, { delay: 5 });
  await until(
    async () => {
      const label = await page.locator('.quick-input-widget .monaco-list-row.focused').first().getAttribute('aria-label', { timeout: 500 });
      return label?.startsWith(title);
    },
    10_000,
    `the palette entry "${title}"`,
  );
  await page.keyboard.press('Enter');
}

/**
 * Fails when the workbench shows an error notification (a person would see it).
 * @param {import('playwright-core').Page} page @param {string} when
 */
async function noErrorNotifications(page, when) {
  const errors = await page.locator('.notifications-toasts .notification-list-item:has(.codicon-error)').allInnerTexts();
  if (errors.length > 0) throw new Failed(`${when}: an error notification: ${errors.map((e) => e.replace(/\s+/g, ' ')).join(' | ')}`);
}

/**
 * What a screen reader hears of every row of the Socket Lab Sockets view (its label, its state,
 * its counters), else the row's text.
 * @param {import('playwright-core').Page} page
 */
async function treeRows(page) {
  return page.locator('.pane:has(.pane-header[aria-label*="Sockets"]) .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
}

/**
 * @param {ReturnType<typeof parseOptions>} opts
 * @param {Record<string, string>} dirs
 * @param {import('playwright-core').Page} page
 * @param {string} authority
 */
async function checkWorkbench(opts, dirs, page, authority) {
  await page.goto(`http://${authority}/?folder=${encodeURIComponent(dirs.workspace)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  // The activity bar shows the extension's view container once the workbench knows the extension.
  await until(async () => page.locator('.activitybar .action-item a[aria-label^="Socket Lab"]').count(), 30_000, 'the Socket Lab activity bar icon');

  await runFromPalette(page, 'Socket Lab: New Scratch File');
  await until(
    // Monaco renders spaces as U+00A0.
    async () => (await page.locator('.editor-instance .monaco-editor .view-lines').allInnerTexts()).some((t) => t.replace(/\u00a0/g, ' ').includes('A Socket Lab scratch file')),
    30_000,
    'the scratch file from the template',
  );
  // The installed extension's CodeLens runs over the new file: the bundle loaded and activated.
  await until(async () => (await page.locator('.monaco-editor .codelens-decoration').allInnerTexts()).some((t) => t.includes('Run All')), 30_000, 'the Run All CodeLens');
  say('the scratch file is open with its CodeLens');

  await runFromPalette(page, 'Socket Lab: Start TCP Listener');
  await until(async () => (await page.locator('.quick-input-widget .quick-input-title').innerText({ timeout: 500 })).includes('Listen (TCP)'), 10_000, 'the Listen (TCP) input box');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('127.0.0.1:0', { delay: 5 });
  await page.keyboard.press('Enter');

  // Open the view from its activity bar icon, as a person does.
  await page.locator('.activitybar .action-item a[aria-label^="Socket Lab"]').click();
  const row = await until(async () => (await treeRows(page)).find((t) => /TCP 127\.0\.0\.1:\d+/.test(t) && t.includes('listening')), 30_000, 'a "TCP 127.0.0.1:PORT listening" row in the Sockets view');
  const port = Number(/TCP 127\.0\.0\.1:(\d+)/.exec(row)?.[1]);
  say(`the tree shows: ${row.replace(/\s+/g, ' ')}`);

  // The row is a real listener: a client from here is accepted, and the tree counts it.
  const client = connect({ host: '127.0.0.1', port });
  client.on('error', () => {});
  try {
    await new Promise((res, rej) => {
      client.once('connect', res);
      client.once('error', rej);
    }).catch((err) => {
      throw new Failed(`the listener on 127.0.0.1:${port} refused a client: ${err.message}`);
    });
    await until(async () => (await treeRows(page)).some((t) => t.includes(`127.0.0.1:${port}`) && t.includes('1 accepted')), 15_000, 'the listener counting 1 accepted connection');
    say(`a client connected to 127.0.0.1:${port}; the tree counts it`);
    // Let the tree settle (it refreshes at most every 250 ms) before the picture.
    await sleep(500);
    await noErrorNotifications(page, 'after the listener started');
    await page.mouse.move(700, 600); // no hover tooltip in the picture
    await page.screenshot({ path: opts.screenshot });
    say(`screenshot: ${opts.screenshot}`);
  } finally {
    client.destroy();
  }

  await runFromPalette(page, 'Welcome: Open Walkthrough');
  await until(async () => (await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts()).some((t) => t.includes('Get started with Socket Lab')), 10_000, 'the walkthrough in the picker');
  await page.keyboard.type('Get started with Socket Lab', { delay: 5 });
  await until(async () => (await page.locator('.quick-input-widget .monaco-list-row.focused').first().innerText({ timeout: 500 })).includes('Get started with Socket Lab'), 10_000, 'the walkthrough picked');
  await page.keyboard.press('Enter');
  const steps = ['Open a scratch file', 'Run the server and the client', 'Watch the traffic', 'Look up a host'];
  await until(
    async () => {
      const text = await page.locator('.gettingStartedContainer').innerText({ timeout: 500 });
      return text.includes('Get started with Socket Lab') && steps.every((s) => text.includes(s));
    },
    15_000,
    'the walkthrough with its four steps',
  );
  // The first step's media is the shipped markdown, rendered in the walkthrough's webview.
  // (The markdown renders in an iframe of the workbench.)
  await until(
    async () => {
      for (const frame of page.frames()) if ((await frame.locator('h1').allInnerTexts().catch(() => [])).some((t) => t.includes('A scratch file is a list of experiments'))) return true;
      return false;
    },
    15_000,
    "the first step's markdown (media/walkthrough/scratch.md)",
  );

  // Its buttons work: the first opens a scratch file beside the walkthrough, the second runs it
  // (the greeter listener joins the tree); each step is then checked.
  const step = (/** @type {string} */ id) => page.locator(`.getting-started-step[data-step-id$="#socketLab.getStarted.${id}"]`);
  const checked = async (/** @type {string} */ id) => (await step(id).getAttribute('aria-checked', { timeout: 500 })) === 'true';
  say('walkthrough: Open a Scratch File');
  await step('scratchFile').locator('.monaco-button', { hasText: 'Open a Scratch File' }).click();
  await until(() => checked('scratchFile'), 15_000, 'the "Open a scratch file" step checked');
  say('walkthrough: Run the Scratch File');
  await step('run').click();
  await step('run').locator('.monaco-button', { hasText: 'Run the Scratch File' }).click();
  await until(() => checked('run'), 15_000, 'the "Run the server and the client" step checked');
  await until(async () => (await treeRows(page)).filter((t) => /TCP 127\.0\.0\.1:\d+/.test(t) && t.includes('listening')).length === 2, 30_000, "the scratch file's greeter listening next to the first listener");
  await noErrorNotifications(page, 'after the walkthrough ran the scratch file');

  // The traffic view's page script (media/dist/trafficView.js) loads from the installed package
  // and renders the run's bytes; without it the page shows only its empty-state line.
  say('walkthrough: Show Traffic');
  await step('traffic').click();
  await step('traffic').locator('.monaco-button', { hasText: 'Show Traffic' }).click();
  await until(
    async () => {
      for (const frame of page.frames()) {
        const rows = await frame.locator('#list .row').allInnerTexts().catch(() => []);
        if (rows.some((t) => t.includes('Thank you for connecting'))) return true;
      }
      return false;
    },
    30_000,
    'the traffic view listing the greeting the scratch file sent',
  );
  await until(() => checked('traffic'), 15_000, 'the "Watch the traffic" step checked');

  say('walkthrough: Look Up Host');
  await step('lookup').click();
  await step('lookup').locator('.monaco-button', { hasText: 'Look Up Host' }).click();
  // Wait for the lookup's own input box (its placeholder), then type into it: keys sent before
  // the box has focus would go to the editor.
  const hostBox = page.locator('.quick-input-widget .quick-input-box input[placeholder*="localhost"]');
  await hostBox.waitFor({ state: 'visible', timeout: 10_000 });
  await hostBox.fill('localhost');
  await until(async () => (await hostBox.inputValue()) === 'localhost', 5_000, 'the host name in the input box');
  await hostBox.press('Enter');
  await until(async () => (await page.locator('.notifications-toasts .notification-list-item').allInnerTexts()).some((t) => /localhost → (127\.0\.0\.1|::1)/.test(t)), 15_000, 'the answer "localhost → 127.0.0.1"');
  await until(() => checked('lookup'), 15_000, 'the "Look up a host" step checked');
  await noErrorNotifications(page, 'after the walkthrough');
  const walkthroughShot = join(dirname(opts.screenshot), 'installed-walkthrough.png');
  await page.screenshot({ path: walkthroughShot });
  say(`screenshot: ${walkthroughShot}`);
}

async function main() {
  const opts = parseOptions();
  const started = performance.now();
  const host = hostPaths();
  if (!isInstalled(host.dir)) throw new Error(`no test host in ${host.dir}: run node test/host/install.mjs first`);
  if (!existsSync(opts.chromium)) throw new Error(`${opts.chromium} missing: run node test/host/install.mjs (it installs Debian's chromium)`);
  mkdirSync(dirname(opts.screenshot), { recursive: true });
  if (dirname(opts.screenshot) === join(REPO_ROOT, 'test-results')) writeFileSync(join(REPO_ROOT, 'test-results', '.gitignore'), '# written by test/host/run.mjs\n*\n');

  const root = mkdtempSync(join(tmpdir(), 'socket-lab-installed-'));
  const dirs = createHostDirs(root);
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let server;
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  /** @type {import('playwright-core').Page | undefined} */
  let page;
  let status = EXIT.harness;
  /** @type {(reason: string) => void} */
  let abort = () => {};
  const aborted = new Promise((_, reject) => {
    abort = (reason) => reject(new Error(reason));
  });
  aborted.catch(() => {});
  const timer = setTimeout(() => abort(`no result after ${opts.timeoutMs / 1000} s (a hang?)`), opts.timeoutMs);
  const onSignal = () => {
    status = EXIT.interrupted;
    abort('interrupted');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let vsix = opts.vsix;
    if (!vsix) {
      if (!existsSync(join(REPO_ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js missing: run npm run build first');
      vsix = join(root, 'socket-lab.vsix');
      say('vsce package --no-dependencies (what npm run package does)');
      sh(join(REPO_ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--out', vsix]);
    }
    // The server's own CLI, with the folders and environment the server then runs with.
    say(`--install-extension ${vsix}`);
    sh(process.execPath, [host.serverMain, ...serverDirArgs(dirs), '--install-extension', vsix], { env: serverEnv(dirs), cwd: root });
    const installed = readdirSync(dirs.extensions).filter((d) => d.startsWith('socket-lab.socket-lab-'));
    if (installed.length !== 1) throw new Error(`the extensions folder holds ${JSON.stringify(readdirSync(dirs.extensions))}, not one socket-lab.socket-lab-VERSION`);
    say(`installed: ${installed[0]}`);

    const s = await startServer({ serverMain: host.serverMain, dirs, trust: false, onExit: (detail) => abort(detail) });
    server = s.child;
    const authority = `127.0.0.1:${s.port}`;
    say(`server on http://${authority} (pid ${server.pid}); temp ${root}`);
    ({ browser, page } = await openWorkbenchPage(opts.chromium, dirs, abort));
    page.on('pageerror', (err) => say(`page error: ${err.message}`));
    await Promise.race([checkWorkbench(opts, dirs, page, authority), aborted]);
    say('PASSED: the installed .vsix runs: scratch file, listener in the tree, a client accepted, walkthrough');
    status = EXIT.passed;
  } catch (err) {
    if (status !== EXIT.interrupted) status = err instanceof Failed ? EXIT.failed : EXIT.harness;
    say(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    if (page && !page.isClosed()) {
      const failShot = opts.screenshot.replace(/\.png$/, '-failed.png');
      await within(page.screenshot({ path: failShot }), 15_000, 'the screenshot').then(
        () => say(`screenshot: ${failShot}`),
        (e) => say(`no screenshot: ${e.message}`),
      );
    }
  } finally {
    clearTimeout(timer);
    if (browser) await within(browser.close(), 10_000, 'closing the browser').catch((err) => say(String(err.message)));
    if (server) await killGroup(server);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (opts.keepTemp) say(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
    say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s, exit ${status}`);
  }
  return status;
}

main().then(
  (status) => process.exit(status),
  (err) => {
    say(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(EXIT.harness);
  },
);
