// Bundles the extension and the CLI into dist/. Type checking is `tsc --noEmit` (npm run check).
import * as esbuild from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  esbuild.build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  // The traffic view's page: a browser script under media/ (the webview may load only media/).
  esbuild.build({ ...common, platform: 'browser', format: 'iife', target: 'chrome114', entryPoints: ['src/webview/page/main.ts'], outfile: 'media/dist/trafficView.js', minify: process.env.MINIFY !== '0' }),
]);
