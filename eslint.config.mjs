// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // The socket core and the .sock language are pure Node: the CLI, the tests and the
    // extension share them, so they must never depend on the VS Code API.
    files: ['src/net/**/*.ts', 'src/sock/**/*.ts', 'src/cli.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/net, src/sock and the CLI are pure Node: do not import vscode.' }],
      }],
    },
  },
  {
    // Hovers answer from local facts (the bytes, /etc/hosts, /etc/services) and send nothing: no
    // resolver for them; a lookup is a command link the person clicks.
    files: ['src/sock/hoverInfo.ts', 'src/sock/hoverMarkdown.ts', 'src/providers/hoverProvider.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/net/resolver', '**/net/dnsQuery', 'node:dns', 'node:dns/*', 'dns', 'dns/*'], message: 'A hover sends nothing: no resolver.' }],
      }],
    },
  },
  {
    files: ['src/sock/hoverInfo.ts', 'src/sock/hoverMarkdown.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/sock is pure Node: do not import vscode.' }],
        patterns: [{ group: ['**/net/resolver', '**/net/dnsQuery', 'node:dns', 'node:dns/*', 'dns', 'dns/*'], message: 'A hover sends nothing: no resolver.' }],
      }],
    },
  },
  {
    // The traffic view's shared modules and its page: no VS Code API, and the page no Node either.
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/webview is shared with the page: do not import vscode.' }],
      }],
    },
  },
  {
    files: ['src/webview/page/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The page runs in the webview: no vscode.' }],
        patterns: [{ group: ['node:*'], message: 'The page runs in a browser: no Node modules.' }],
      }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', performance: 'readonly' } },
  },
);
