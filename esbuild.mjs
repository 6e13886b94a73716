// Bundles the extension and the CLI into dist/. Type checking is `tsc --noEmit` (npm run check).
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

/**
 * Whitespace and syntax are minified, names are not: stack traces keep their function names, and
 * the .vsix and npm package stay small (about a fifth less, compressed, than unminified bundles).
 */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

/**
 * `selfsigned` and its dependencies (about 700 KB, and `reflect-metadata`, which changes the global
 * `Reflect`) go to a bundle of their own, dist/selfsigned.js, which the extension and the CLI load
 * only when a listener asks for a self-signed certificate (src/net/tlsInfo.ts).
 */
const selfsignedApart = {
  name: 'selfsigned-apart',
  setup(build) {
    build.onResolve({ filter: /^selfsigned$/ }, () => ({ path: './selfsigned.js', external: true }));
  },
};

/**
 * The lazy `import('selfsigned')` becomes a `require` when first called: the extension host
 * loads extensions as CommonJS, and nothing then depends on its support for `import()`.
 */
const lazyRequire = { supported: { 'dynamic-import': false }, plugins: [selfsignedApart] };

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], ...lazyRequire }),
  esbuild.build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, ...lazyRequire }),
  esbuild.build({ ...common, entryPoints: [createRequire(import.meta.url).resolve('selfsigned')], outfile: 'dist/selfsigned.js' }),
  // The traffic view's page: a browser script under media/ (the webview may load only media/).
  esbuild.build({ ...common, platform: 'browser', format: 'iife', target: 'chrome114', entryPoints: ['src/webview/page/main.ts'], outfile: 'media/dist/trafficView.js', minify: process.env.MINIFY !== '0' }),
  // The load view's page, with uPlot; its stylesheet comes out beside it (media/dist/loadView.css).
  esbuild.build({ ...common, platform: 'browser', format: 'iife', target: 'chrome114', entryPoints: ['src/webview/load/main.ts'], outfile: 'media/dist/loadView.js', minify: process.env.MINIFY !== '0' }),
]);
