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
const INDEX = join(REPO_ROOT, 'test', 'integration', 'index.ts');
export const OUT_DIR = join(REPO_ROOT, 'out', 'integration');

/**
 * Bundles a suite: test/integration (the default), or another folder under test/ (e.g.
 * `integration-restricted`, run with workspace trust on), each with the shared index.ts.
 *
 * @param {string} [suite] the folder under test/
 * @returns {Promise<string>} the absolute path of the bundled tests entry (exports `run()`)
 */
export async function buildIntegrationTests(suite = 'integration') {
  const sourceDir = join(REPO_ROOT, 'test', suite);
  const outDir = join(REPO_ROOT, 'out', suite);
  const tests = readdirSync(sourceDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts'));
  // Start clean, so a deleted test does not live on as a stale bundle.
  rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [{ in: INDEX, out: 'index' }, ...tests.map((f) => ({ in: join(sourceDir, f), out: f.replace(/\.ts$/, '') }))],
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
  return join(outDir, 'index.js');
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${await buildIntegrationTests()}\n`);
}
