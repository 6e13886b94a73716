#!/usr/bin/env node
// The first step of `npm test`: the external programs the tests run as real peers and references
// must be on PATH. As root, the missing ones are installed from Debian (apt-get update, then
// apt-get install -y); otherwise it stops at once and names the one command that installs them.
// The VS Code host and its Debian packages (chromium, …) are test/host/install.mjs's business.
//
// Usage: node test/host/tools.mjs            check, and install what is missing when root
//        node test/host/tools.mjs --check    check only (the unit tier's root hook): never installs
//
// SOCKET_LAB_APT_GET names the apt-get to run (default `apt-get` on PATH); the tests point it at
// a stand-in so that they need not install anything.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Each program the tests run, the Debian package that ships it, and what it is for.
 * @type {readonly { command: string; debian: string; why: string }[]}
 */
export const TOOLS = [
  { command: 'python3', debian: 'python3', why: 'peers written with the socket module, http.server' },
  { command: 'xxd', debian: 'xxd', why: 'the hex dump reference' },
  { command: 'openssl', debian: 'openssl', why: 's_server/s_client TLS peers, test certificates' },
  { command: 'unshare', debian: 'util-linux', why: 'private network and mount namespaces' },
  { command: 'setpriv', debian: 'util-linux', why: 'an unprivileged user' },
  { command: 'mount', debian: 'mount', why: 'a private nsswitch.conf inside a mount namespace' },
  { command: 'ip', debian: 'iproute2', why: 'links and routes inside a private network namespace' },
  { command: 'socat', debian: 'socat', why: 'stream and Unix peers' },
  { command: 'ncat', debian: 'ncat', why: 'UDP, TLS and max-conns peers; examples/broker.sock against ncat --broker' },
  { command: 'dnsmasq', debian: 'dnsmasq-base', why: 'a DNS server on loopback for resolve' },
  { command: 'tshark', debian: 'tshark', why: 'reads back the pcapng export' },
  { command: 'redis-server', debian: 'redis-server', why: 'examples/redis.sock against a real Redis' },
  { command: 'nginx', debian: 'nginx', why: 'examples/http-keepalive.sock against a real web server' },
  { command: 'mosquitto', debian: 'mosquitto', why: 'examples/mqtt.sock against a real MQTT broker' },
];

/**
 * @param {string} command
 * @param {string | undefined} path a PATH value
 * @returns {boolean} whether an executable file named `command` is in one of PATH's folders
 */
export function onPath(command, path) {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * @param {string | undefined} path a PATH value
 * @returns {{ commands: string[]; packages: string[] }} the programs not on PATH, and the Debian packages that ship them (each once)
 */
export function missingTools(path) {
  const missing = TOOLS.filter((t) => !onPath(t.command, path));
  return { commands: missing.map((t) => t.command), packages: [...new Set(missing.map((t) => t.debian))] };
}

/**
 * @param {readonly string[]} packages
 * @param {boolean} root
 * @returns {string} the one shell command that installs `packages`
 */
export function installCommand(packages, root) {
  const sudo = root ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}

/**
 * Checks the tools; as root and unless `checkOnly`, installs the missing ones.
 * @param {{ env?: NodeJS.ProcessEnv; root?: boolean; checkOnly?: boolean; log?: (line: string) => void }} [options]
 * @returns {{ ok: true } | { ok: false; message: string }}
 */
export function ensureTools(options = {}) {
  const env = options.env ?? process.env;
  const root = options.root ?? process.getuid?.() === 0;
  const log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  const before = missingTools(env.PATH);
  if (before.commands.length === 0) return { ok: true };
  const what = `the tests need ${before.commands.join(', ')}, not found on PATH`;
  if (!root || options.checkOnly) {
    return { ok: false, message: `socket-lab tests: ${what}. Install them with:\n  ${installCommand(before.packages, root)}` };
  }
  const aptGet = env.SOCKET_LAB_APT_GET || 'apt-get';
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`socket-lab tests: ${what}; installing Debian's ${before.packages.join(' ')}`);
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...before.packages]]) {
    log(`$ ${aptGet} ${args.join(' ')}`);
    const r = spawnSync(aptGet, args, { stdio: ['ignore', 'inherit', 'inherit'], env: aptEnv });
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
      return { ok: false, message: `socket-lab tests: ${aptGet} ${args.join(' ')} failed (${why}). Install them with:\n  ${installCommand(before.packages, root)}` };
    }
  }
  const after = missingTools(env.PATH);
  if (after.commands.length > 0) {
    return { ok: false, message: `socket-lab tests: ${after.commands.join(', ')} still not found on PATH after installing ${before.packages.join(' ')}` };
  }
  return { ok: true };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = ensureTools({ checkOnly: process.argv.includes('--check') });
  if (!result.ok) {
    process.stderr.write(`${result.message}\n`);
    process.exit(1);
  }
}
