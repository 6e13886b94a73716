// @ts-check
import eslint from '@eslint/js';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/** `vscode` for a layer below providers/. */
const noVscode = (layer) => ({ name: 'vscode', message: `${layer} does not use the VS Code API: do not import vscode.` });

/** A relative import of a layer above this one (`../providers/…`, `../../sock/…`, `./extension`). */
const above = (layer, layers) => ({
  regex: `^(\\.{1,2}/)+(${layers.join('|')})(/|$)`,
  message: `${layer} sits below ${layers.join(', ')} (net ← sock ← webview host, cli ← providers ← extension): move what both need down.`,
});

const noResolver = { group: ['**/net/resolver', '**/net/dnsQuery', 'node:dns', 'node:dns/*', 'dns', 'dns/*'], message: 'A hover sends nothing: no resolver.' };
const noNodeScheme = { regex: '^node:', message: 'This runs in a browser (the traffic view\'s page): no Node modules.' };
const noNodeBuiltins = builtinModules.map((name) => ({ name, message: 'This runs in a browser (the traffic view\'s page): no Node modules.' }));
const noNodeGlobals = ['Buffer', 'process', 'require', 'global', '__dirname', '__filename'].map((name) => ({ name, message: 'This runs in a browser (the traffic view\'s page): use Uint8Array and web APIs.' }));

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'media/dist/**', 'scratch/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  // The layers, lowest first: net ← sock ← (webview host, cli) ← providers ← extension. A layer
  // imports only the layers below it, so the CLI and plain mocha reach everything under
  // providers/, and only providers/ and extension.ts use the VS Code API. Later entries replace the
  // rule for the files they match: each entry lists the whole rule for its files.
  {
    files: ['src/net/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode('src/net')], patterns: [above('src/net', ['sock', 'webview', 'cli', 'providers', 'extension'])] }] },
  },
  {
    // The byte renderers the traffic view's page bundles: no Buffer, no Node.
    files: ['src/net/bytes.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noVscode('src/net'), ...noNodeBuiltins], patterns: [above('src/net', ['sock', 'webview', 'cli', 'providers', 'extension']), noNodeScheme] }],
      'no-restricted-globals': ['error', ...noNodeGlobals],
    },
  },
  {
    files: ['src/sock/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode('src/sock')], patterns: [above('src/sock', ['webview', 'cli', 'providers', 'extension'])] }] },
  },
  {
    // Hovers answer from local facts (the bytes, /etc/hosts, /etc/services) and send nothing: no
    // resolver for them; a lookup is a command link the person clicks.
    files: ['src/sock/hoverInfo.ts', 'src/sock/hoverMarkdown.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode('src/sock')], patterns: [above('src/sock', ['webview', 'cli', 'providers', 'extension']), noResolver] }] },
  },
  {
    files: ['src/cli.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode('The CLI')], patterns: [above('The CLI', ['webview', 'providers', 'extension'])] }] },
  },
  {
    // The traffic view's host modules: shared with the page and the tests, so no VS Code API.
    files: ['src/webview/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode('src/webview')], patterns: [above('src/webview', ['cli', 'providers', 'extension'])] }] },
  },
  {
    // The page runs in a browser: it imports its own files, ../protocol and net/bytes, nothing that
    // uses Buffer or Node.
    files: ['src/webview/page/**/*.ts', 'src/webview/protocol.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode('The page'), ...noNodeBuiltins],
        patterns: [
          above('The page', ['sock', 'cli', 'providers', 'extension']),
          noNodeScheme,
          { regex: '^(\\.{1,2}/)+net/(?!bytes$)', message: 'The page runs in a browser: from src/net it imports only net/bytes (no Buffer).' },
          { regex: '^\\.\\./(?!protocol$)[^/.]+$', message: 'The page runs in a browser: of the host modules it imports only ../protocol.' },
        ],
      }],
      'no-restricted-globals': ['error', ...noNodeGlobals],
    },
  },
  {
    // The load view's page runs in a browser too: uPlot, its stylesheet and ./protocol, nothing else.
    files: ['src/webview/load/main.ts', 'src/webview/load/protocol.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [noVscode('The load page'), ...noNodeBuiltins],
        // Types are erased from the bundle: the protocol may name the runner's event.
        patterns: [noNodeScheme, { regex: '^\\.\\./', allowTypeImports: true, message: 'The load page runs in a browser: it imports only ./protocol and uplot (and types).' }],
      }],
      'no-restricted-globals': ['error', ...noNodeGlobals],
    },
  },
  {
    files: ['src/providers/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [above('src/providers', ['extension'])] }] },
  },
  {
    files: ['src/providers/hoverProvider.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [above('src/providers', ['extension']), noResolver] }] },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', performance: 'readonly' } },
  },
);
