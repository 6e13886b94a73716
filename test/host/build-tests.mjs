#!/usr/bin/env node
// Bundles the integration tests for the extension host: test/integration/index.ts and every
// test/integration/**/*.test.ts become one CommonJS file each in out/integration/. The extension
// host runs them from there with its own Node; `vscode` is provided by the host and `mocha` stays
// external, loaded from the repository's node_modules (out/integration is inside the repository,
// so Node's resolution finds it). Tests must import only types from src/: the code under test is
// the extension's own bundle (dist/extension.js), which the host loads.
//
// Usage: node test/host/build-tests.mjs   (run.mjs and electron.mjs call it themselves)
import * as esbuild from 'esbuild';
import { readdirSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_DIR = join(REPO_ROOT, 'test', 'integration');
export const OUT_DIR = join(REPO_ROOT, 'out', 'integration');

/** @returns {Promise<string>} the absolute path of the bundled tests entry (exports `run()`) */
export async function buildIntegrationTests() {
  const tests = readdirSync(SOURCE_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(SOURCE_DIR, f));
  // Start clean, so a deleted test does not live on as a stale bundle.
  rmSync(OUT_DIR, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(SOURCE_DIR, 'index.ts'), ...tests],
    outbase: SOURCE_DIR,
    outdir: OUT_DIR,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return join(OUT_DIR, 'index.js');
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${await buildIntegrationTests()}\n`);
}
