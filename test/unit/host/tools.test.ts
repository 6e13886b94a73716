// npm test's first step (test/host/tools.mjs): on a machine without the programs the tests use,
// it installs them as root and otherwise stops at once with the command to run; the unit tier
// run on its own (mocha) fails once with that command instead of a `spawn … ENOENT` per test.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ROOT, run, start } from '../helpers';

const TOOLS = join(ROOT, 'test', 'host', 'tools.mjs');
/** Debian's own folders first, so that a program reached through ~/.pyenv etc. comes from them when it is there. */
const SYSTEM = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function which(command: string): string {
  return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
}

/**
 * A machine without `missing`: a folder of links to every program on PATH but that one, and a
 * stand-in apt-get that logs its arguments and, when `installs`, links the program back in.
 */
function machineWithout(missing: string, installs: boolean): { env: NodeJS.ProcessEnv; log: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'socket-lab-tools-'));
  chmodSync(dir, 0o755); // an unprivileged user reads it too
  const bin = join(dir, 'bin');
  const seen = new Set<string>([missing]);
  execFileSync('mkdir', ['-m', '755', bin]);
  for (const folder of [...SYSTEM, ...(process.env.PATH ?? '').split(delimiter)]) {
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      symlinkSync(join(folder, name), join(bin, name));
    }
  }
  const log = join(dir, 'apt-get.log');
  const aptGet = join(dir, 'apt-get');
  const install = installs ? `[ "$1" = install ] && ln -s ${which(missing)} ${join(bin, missing)}` : '';
  writeFileSync(aptGet, `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> ${log}\n${install}\nexit 0\n`, { mode: 0o755 });
  return { env: { PATH: bin, SOCKET_LAB_APT_GET: aptGet }, log, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('npm test\'s first step: the programs the tests use (test/host/tools.mjs)', function () {
  this.timeout(60_000);
  let machine: ReturnType<typeof machineWithout> | undefined;

  before(function () {
    assert.equal(process.getuid?.(), 0, 'these tests run as root, as the unit tier does (setpriv, a stand-in apt-get)');
  });

  afterEach(() => {
    machine?.remove();
    machine = undefined;
  });

  it('npm test runs it first, and .ci/run installs nothing of its own', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.test, /^node test\/host\/tools\.mjs && /);
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    assert.doesNotMatch(ci, /apt-get/);
    assert.match(ci, /^npm test$/m);
  });

  it('as a user who is not root, with ncat missing, stops at once with the one command to run, and installs nothing', async () => {
    machine = machineWithout('ncat', true);
    const t0 = Date.now();
    const r = await run(which('setpriv'), ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, TOOLS], { env: machine.env, timeoutMs: 20_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /the tests need (\S+, )*ncat\b.*not found on PATH/);
    assert.match(r.stderr, /^ {2}sudo apt-get update && sudo apt-get install -y (\S+ )*ncat( \S+)*$/m);
    assert.doesNotMatch(r.stderr, /\bsocat\b/, 'socat is there: only what is missing is named');
    assert.ok(Date.now() - t0 < 5000, `it took ${Date.now() - t0} ms`);
    assert.equal(existsSync(machine.log), false, 'apt-get was not run');
  });

  it('as root, with ncat missing, runs apt-get update and apt-get install -y ncat, then goes on', async () => {
    machine = machineWithout('ncat', true);
    const r = await run(process.execPath, [TOOLS], { env: machine.env, timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(readFileSync(machine.log, 'utf8').split('\n'), ['noninteractive update', 'noninteractive install -y --no-install-recommends ncat', '']);
    assert.match(r.stdout, /the tests need ncat, not found on PATH; installing Debian's ncat/);
  });

  it('as root, when apt-get leaves ncat missing, fails naming it', async () => {
    machine = machineWithout('ncat', false);
    const r = await run(process.execPath, [TOOLS], { env: machine.env, timeoutMs: 20_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /ncat still not found on PATH after installing ncat/);
  });

  it('--check (the unit tier\'s root hook) never installs: it names the command', async () => {
    machine = machineWithout('dnsmasq', true);
    const r = await run(process.execPath, [TOOLS, '--check'], { env: machine.env, timeoutMs: 20_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^ {2}apt-get update && apt-get install -y dnsmasq-base$/m);
    assert.equal(existsSync(machine.log), false, 'apt-get was not run');
  });

  it('the unit tier run directly (mocha) without ncat fails once, naming the command, not with ncat: not found or spawn ENOENT', async () => {
    machine = machineWithout('ncat', true);
    const mocha = join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const args = [mocha, '--no-config', '--require', 'tsx/cjs', '--require', 'test/unit/setup.ts', '--extension', 'ts', '--timeout', '20000', 'test/unit/peers.test.ts'];
    const r = await run(process.execPath, args, { env: machine.env, timeoutMs: 50_000 });
    const output = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, output);
    assert.match(output, /"before all" hook[\s\S]*the tests need ncat, not found on PATH[\s\S]*apt-get update && apt-get install -y ncat/);
    assert.match(output, /0 passing[\s\S]*1 failing/);
    assert.doesNotMatch(output, /ncat: not found|ENOENT|called multiple times|handles still open|\n\s+at /);
    assert.equal(existsSync(machine.log), false, 'the unit tier checks, it does not install');
  });
});

describe('a program a test starts that is not installed', () => {
  it('fails that test, naming how to install it, and nothing surfaces later in another test', async () => {
    const p = start('socket-lab-no-such-program', []);
    const notInstalled = /^Error: socket-lab-no-such-program is not on PATH \(spawn socket-lab-no-such-program ENOENT\): node test\/host\/tools\.mjs installs/;
    await assert.rejects(p.waitFor(/ready/), notInstalled);
    // An unhandled rejection of p.exited, which nobody awaited yet, would surface here.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await assert.rejects(p.exited, notInstalled);
  });
});
