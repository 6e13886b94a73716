#!/usr/bin/env node
// Installs the offline VS Code test host: the VS Code server that the npm package `code-server`
// ships, with its native modules built locally, into a cache folder outside the repository.
// See /work/shared/VSCODE-TEST-HOST.md for why each step is needed; in short, a plain
// `npm install code-server` fetches from GitHub (a git dependency and the ripgrep binary), which
// these machines cannot reach, so the package's install scripts are replayed here by hand.
//
// Idempotent: a complete install leaves a marker file and is reused; a missing or stale marker
// (another code-server version, another Node ABI) installs again. The work happens in a fresh
// sibling folder that is renamed into place only at the end, so an interrupted install never
// looks complete and two concurrent installs cannot corrupt each other.
//
// Usage: node test/host/install.mjs            (cache: $SOCKET_LAB_HOST_CACHE or ~/.cache/socket-lab-test-host)
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The code-server release whose VS Code (1.96.4) runs on Node 20; see the doc before changing it. */
export const CODE_SERVER_VERSION = '4.96.4';
/** Debian packages the install and the run need. */
const DEBIAN_PACKAGES = ['chromium', 'ripgrep', 'libkrb5-dev', 'build-essential', 'python3'];
const MARKER = '.socket-lab-host-complete.json';
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** @returns {string} the cache folder (not yet created), refusing one inside the repository. */
export function cacheRoot() {
  const root = resolve(process.env.SOCKET_LAB_HOST_CACHE || join(homedir(), '.cache', 'socket-lab-test-host'));
  const rel = relative(REPO_ROOT, root);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    throw new Error(`the host cache ${root} is inside the repository; set SOCKET_LAB_HOST_CACHE to a folder outside it`);
  }
  return root;
}

/**
 * Where an installed host lives.
 * @param {string} [root]
 */
export function hostPaths(root = cacheRoot()) {
  const dir = join(root, `code-server-${CODE_SERVER_VERSION}`);
  const vscode = join(dir, 'node_modules', 'code-server', 'lib', 'vscode');
  return {
    dir,
    marker: join(dir, MARKER),
    vscode,
    serverMain: join(vscode, 'out', 'server-main.js'),
    codeServerBin: join(dir, 'node_modules', '.bin', 'code-server'),
  };
}

/** What the marker must say for an install to be reused: native modules are per Node ABI. */
function expectedMarker() {
  return { codeServer: CODE_SERVER_VERSION, nodeModulesAbi: process.versions.modules, platform: `${process.platform}-${process.arch}` };
}

/** @param {string} dir @returns {boolean} whether a complete, matching install is in dir. */
export function isInstalled(dir = hostPaths().dir) {
  try {
    const m = JSON.parse(readFileSync(join(dir, MARKER), 'utf8'));
    const want = expectedMarker();
    return Object.entries(want).every(([k, v]) => m[k] === v);
  } catch {
    return false;
  }
}

/** @param {string} msg */
function progress(msg) {
  process.stdout.write(`[host install] ${msg}\n`);
}

/**
 * Runs a command with inherited output; throws when it fails.
 * @param {string} cmd @param {string[]} args @param {{cwd?: string, env?: NodeJS.ProcessEnv}} [opts]
 */
function sh(cmd, args, opts = {}) {
  progress(`$ ${[cmd, ...args].join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: opts.cwd, env: opts.env ?? process.env });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/** @param {string} pkg @returns {boolean} */
function debInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Installs the Debian packages that are missing (apt-get update first), as root. */
function ensureDebianPackages() {
  const missing = DEBIAN_PACKAGES.filter((p) => !debInstalled(p));
  if (missing.length === 0) {
    progress(`Debian packages present: ${DEBIAN_PACKAGES.join(', ')}`);
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages (${missing.join(', ')}); run: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`);
  }
  progress(`installing Debian packages: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  sh('apt-get', ['update'], { env });
  sh('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
}

/**
 * The `nodedir` for node-gyp: the prefix that holds the running Node's headers as
 * PREFIX/include/node/common.gypi (Debian's nodejs: /usr), so node-gyp never downloads headers.
 * node-gyp puts PREFIX/include/node on the include path, so it wants the prefix. The doc's
 * `/usr/include/node` fails here (node-gyp 12 finds common.gypi by a fallback, but then looks for
 * the headers in /usr/include/node/include/node and native-watchdog does not compile).
 * @returns {string}
 */
function nodeHeadersPrefix() {
  const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..'), '/usr'].filter(Boolean);
  for (const c of /** @type {string[]} */ (candidates)) {
    if (existsSync(join(c, 'include', 'node', 'common.gypi')) && existsSync(join(c, 'include', 'node', 'node_api.h'))) return c;
  }
  throw new Error(`no Node headers found (looked for include/node/common.gypi under ${candidates.join(', ')}); install Debian's nodejs headers or set npm_config_nodedir`);
}

/**
 * Drops the git URL that pins @vscode/proxy-agent in lib/vscode's shrinkwrap: the same version
 * with the same integrity hash is on the npm registry, so npm then fetches it from there.
 * @param {string} vscodeDir
 */
function unpinProxyAgent(vscodeDir) {
  const file = join(vscodeDir, 'npm-shrinkwrap.json');
  const shrinkwrap = JSON.parse(readFileSync(file, 'utf8'));
  const entry = shrinkwrap.packages?.['node_modules/@vscode/proxy-agent'];
  if (!entry) throw new Error(`${file}: no node_modules/@vscode/proxy-agent entry (another code-server version?)`);
  if (typeof entry.resolved === 'string' && !entry.resolved.startsWith('https://registry.npmjs.org/')) {
    progress(`shrinkwrap: dropping resolved ${entry.resolved} of @vscode/proxy-agent@${entry.version}`);
    delete entry.resolved;
    writeFileSync(file, `${JSON.stringify(shrinkwrap, null, 2)}\n`);
  }
}

/**
 * `ln -sf target link` (relative targets stay relative, as code-server's postinstall makes them).
 * @param {string} target @param {string} link
 */
function forceSymlink(target, link) {
  try {
    lstatSync(link);
    rmSync(link, { recursive: true, force: true });
  } catch {
    // nothing there yet
  }
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(target, link);
}

/** @param {string} name @returns {string} absolute path of a program on PATH */
function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.trim()) throw new Error(`${name} not found on PATH`);
  return realpathSync(r.stdout.trim());
}

/**
 * The install proper, into `work` (a fresh folder).
 * @param {string} work
 */
function installInto(work) {
  const nodedir = nodeHeadersPrefix();
  // npm_config_yes: newer node-pty runs `npx` in its install script; nodedir: no header download.
  const env = { ...process.env, npm_config_nodedir: nodedir, npm_config_yes: 'true', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
  writeFileSync(join(work, 'package.json'), `${JSON.stringify({ name: 'socket-lab-test-host', private: true }, null, 2)}\n`);

  progress(`step 1/7: code-server@${CODE_SERVER_VERSION} and playwright-core without install scripts`);
  sh('npm', ['install', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`, 'playwright-core'], { cwd: work, env });

  progress('step 2/7: build argon2 from source (its prebuilt binary is a GitHub download)');
  sh('npm', ['rebuild', 'argon2'], { cwd: work, env: { ...env, npm_config_build_from_source: 'true' } });

  const codeServer = join(work, 'node_modules', 'code-server');
  const vscode = join(codeServer, 'lib', 'vscode');
  checkPostinstallMatches(codeServer);
  progress('step 3/7: VS Code server dependencies from the registry (shrinkwrap git URL dropped)');
  unpinProxyAgent(vscode);
  sh('npm', ['install', '--omit=dev', '--ignore-scripts'], { cwd: vscode, env });

  progress("step 4/7: @vscode/ripgrep uses Debian's rg");
  forceSymlink(which('rg'), join(vscode, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'));

  progress(`step 5/7: build the native modules (node-gyp, nodedir=${nodedir})`);
  sh('npm', ['rebuild'], { cwd: vscode, env });

  // The rest of code-server's ci/build/npm-postinstall.sh (vscode_install).
  progress('step 6/7: the links code-server\'s postinstall makes');
  forceSymlink('node_modules', join(vscode, 'node_modules.asar'));
  symlinkBinScript(vscode, 'remote-cli', 'code', 'code-server', '');
  symlinkBinScript(vscode, 'helpers', 'browser', 'browser', '.sh');

  progress('step 7/7: built-in extensions\' dependencies');
  sh('npm', ['install', '--omit=dev'], { cwd: join(vscode, 'extensions'), env });
}

/**
 * Mirrors symlink_bin_script in code-server's postinstall.sh on Linux: in lib/vscode/bin/DIR,
 * DEST+EXT becomes a link to SOURCE-linux.sh.
 * @param {string} vscode @param {string} binDir @param {string} source @param {string} dest @param {string} ext
 */
function symlinkBinScript(vscode, binDir, source, dest, ext) {
  const dir = join(vscode, 'bin', binDir);
  if (!existsSync(join(dir, `${source}-linux.sh`))) throw new Error(`${dir}/${source}-linux.sh missing (another code-server layout?)`);
  forceSymlink(`${source}-linux.sh`, join(dir, `${dest}${ext}`));
}

/**
 * The steps above replay code-server's postinstall.sh of this version by hand; fail loudly if
 * the shipped script does something else (a new code-server version), instead of installing a
 * host that is subtly incomplete.
 * @param {string} codeServer
 */
function checkPostinstallMatches(codeServer) {
  const script = readFileSync(join(codeServer, 'postinstall.sh'), 'utf8');
  const expected = ['symlink_asar', 'symlink_bin_script remote-cli code code-server', 'symlink_bin_script helpers browser browser .sh', 'cd extensions'];
  const body = script.slice(script.indexOf('vscode_install() {'));
  const missing = expected.filter((line) => !body.includes(line));
  if (missing.length > 0 || !body.includes('vscode_install() {')) {
    throw new Error(`${codeServer}/postinstall.sh changed (missing: ${missing.join('; ') || 'vscode_install'}); update install.mjs`);
  }
}

/**
 * Removes the work folders of installs that were killed (their process is gone).
 * @param {string} root
 */
function removeAbandonedPartials(root) {
  for (const name of readdirSync(root)) {
    const m = /\.partial-(\d+)$/.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      progress(`removing the abandoned ${name}`);
      rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}

/**
 * Ensures a complete host is installed; returns its paths.
 * @returns {ReturnType<typeof hostPaths>}
 */
export function ensureHost() {
  const root = cacheRoot();
  const paths = hostPaths(root);
  // Checked on every call (a few dpkg queries): the run needs chromium even when the host is cached.
  ensureDebianPackages();
  if (existsSync(root)) removeAbandonedPartials(root);
  if (isInstalled(paths.dir)) {
    progress(`host present: ${paths.dir}`);
    return paths;
  }
  const started = performance.now();
  mkdirSync(root, { recursive: true });
  const work = `${paths.dir}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  progress(`installing code-server ${CODE_SERVER_VERSION} into ${work}`);
  try {
    installInto(work);
    writeFileSync(join(work, MARKER), `${JSON.stringify({ ...expectedMarker(), node: process.version, installedAt: new Date().toISOString() }, null, 2)}\n`);
    if (existsSync(paths.dir)) {
      if (isInstalled(paths.dir)) {
        // Another install finished first: keep it.
        rmSync(work, { recursive: true, force: true });
        return paths;
      }
      rmSync(paths.dir, { recursive: true, force: true }); // stale or broken
    }
    renameSync(work, paths.dir);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  progress(`host installed in ${((performance.now() - started) / 1000).toFixed(1)} s: ${paths.dir}`);
  return paths;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    ensureHost();
  } catch (err) {
    process.stderr.write(`[host install] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
