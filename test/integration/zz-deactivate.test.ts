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
  it('closes every socket, palette and .sock runs alike, and removes the Unix socket files it made', async () => {
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    assert.ok(ext);
    await ext.activate();
    const path = join(tmpdir(), `socket-lab-deactivate-${process.pid}.socket`);
    await vscode.commands.executeCommand('socketLab.startUnixListener', path);
    await vscode.commands.executeCommand('socketLab.startUdpListener', '127.0.0.1:0');
    assert.ok(existsSync(path));
    // Listeners started from a .sock file: Unix, TCP and UDP, and a kept client connection.
    const filePath = join(tmpdir(), `socket-lab-deactivate-file-${process.pid}.socket`);
    const doc = await vscode.workspace.openTextDocument({ language: 'sock', content: `### unix\nlisten unix ${filePath} as u\necho\n\n### tcp\nlisten tcp 127.0.0.1:0 as t\necho\n\n### udp\nlisten udp 127.0.0.1:0\necho\n\n### kept\nconnect tcp {{t}} as kept keep\n` });
    await vscode.window.showTextDocument(doc);
    const listening = (): number => ext.exports.endpoints().filter((r) => r.kind === 'listener' && r.state === 'listening').length;
    const before = listening();
    await vscode.commands.executeCommand('socketLab.runFile', doc.uri);
    assert.ok(existsSync(filePath), 'the file listener made its socket file');
    assert.equal(listening() - before, 3, 'three file listeners');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(ext.extensionPath, 'dist', 'extension.js')) as { deactivate(): Promise<void> };
    await mod.deactivate();
    assert.equal(existsSync(path), false, 'the Unix socket file is gone');
    assert.equal(existsSync(filePath), false, "the file listener's Unix socket file is gone");
    assert.deepEqual(ext.exports.endpoints().filter((r) => r.state !== 'closed' && r.state !== 'error').map((r) => `${r.id} ${r.kind} ${r.state}`), [], 'every listener and connection, the kept one too, is closed');
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
