import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';

const SOCKET_RESOURCES = ['TCPSocketWrap', 'TCPServerWrap', 'UDPWrap', 'PipeServerWrap', 'PipeWrap'];

function socketCounts(): Record<string, number> {
  const counts = Object.fromEntries(SOCKET_RESOURCES.map((t) => [t, 0]));
  for (const r of process.getActiveResourcesInfo()) if (r in counts) counts[r]++;
  return counts;
}

// The last file: it deactivates the extension the way VS Code does at shutdown (the module's
// own deactivate(), loaded from the same module cache), then checks what is left.
describe('deactivation', () => {
  it('closes every socket and removes the Unix socket files it made', async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    await ext.activate();
    const path = join(tmpdir(), `socket-lab-deactivate-${process.pid}.socket`);
    await vscode.commands.executeCommand('socketLab.startUnixListener', path);
    await vscode.commands.executeCommand('socketLab.startUdpListener', '127.0.0.1:0');
    assert.ok(existsSync(path));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(ext.extensionPath, 'dist', 'extension.js')) as { deactivate(): Promise<void> };
    await mod.deactivate();
    assert.equal(existsSync(path), false, 'the Unix socket file is gone');
    const baseline = (globalThis as { socketLabBaseline?: Record<string, number> }).socketLabBaseline;
    assert.ok(baseline, 'the activation test recorded the sockets open before Socket Lab');
    let now = socketCounts();
    for (let i = 0; i < 40 && ['TCPServerWrap', 'UDPWrap', 'PipeServerWrap'].some((k) => now[k] > (baseline[k] ?? 0)); i++) {
      await new Promise((r) => setTimeout(r, 25));
      now = socketCounts();
    }
    for (const k of ['TCPServerWrap', 'UDPWrap', 'PipeServerWrap']) assert.ok(now[k] <= (baseline[k] ?? 0), `${k}: ${now[k]} open, ${baseline[k]} before activation`);
  });
});
