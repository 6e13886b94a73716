import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';

// Two levels below the repository root both as source (test/integration) and as bundle
// (out/integration).
const ROOT = resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; publisher: string; version: string };
const EXTENSION_ID = `${pkg.publisher}.${pkg.name}`;

/** The handle types of listening or connected sockets (a Node socket, server or datagram socket). */
const SOCKET_RESOURCES = ['TCPSocketWrap', 'TCPServerWrap', 'UDPWrap', 'PipeServerWrap'];

function socketCounts(): Record<string, number> {
  const counts = Object.fromEntries(SOCKET_RESOURCES.map((t) => [t, 0]));
  for (const r of process.getActiveResourcesInfo()) if (r in counts) counts[r]++;
  return counts;
}

// All test files share one extension host, so this must run before anything else activates the
// extension: index.ts loads the files in name order, and this one is named to sort first.
describe('activation', () => {
  it('runs in the VS Code this suite targets', () => {
    assert.ok(vscode.version.startsWith('1.96'), `vscode.version is ${vscode.version}`);
  });

  it('activates on its command, returns the API and opens no socket', async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
    assert.equal(ext.isActive, false, 'the extension is active before anything triggered it');

    const before = socketCounts();
    const reflectBefore = typeof (Reflect as { getMetadata?: unknown }).getMetadata;
    // The deactivation test (the last file) compares against what was open before Socket Lab.
    (globalThis as { socketLabBaseline?: Record<string, number> }).socketLabBaseline = before;
    // No editor is open: the command shows an information message and returns.
    await vscode.commands.executeCommand('socketLab.runFile');
    assert.equal(ext.isActive, true, 'running the command did not activate the extension');
    const api = await ext.activate();
    assert.equal(api, ext.exports);
    assert.equal(api.version, pkg.version);
    assert.deepEqual(socketCounts(), before, 'activation opened a socket');
    // The certificate library's reflect-metadata would change the Reflect every extension shares.
    assert.equal(typeof (Reflect as { getMetadata?: unknown }).getMetadata, reflectBefore, 'activation changed the global Reflect');
  });
});
