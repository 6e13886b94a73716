import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';

describe('TLS client from the palette', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let port = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'socket-lab-it-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    assert.equal(made.status, 0, String(made.stderr));
    server = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', join(dir, 'c.pem'), '-key', join(dir, 'k.pem'), '-naccept', '2', '-rev'], { stdio: ['ignore', 'pipe', 'pipe'] });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('openssl s_server did not start')), 10_000);
      server?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
  });

  after(async () => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
    await vscode.commands.executeCommand('socketLab.stopAll');
  });

  it('refuses an unverified certificate with a warning that offers to connect anyway', async () => {
    const original = vscode.window.showWarningMessage;
    const warnings: string[] = [];
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = (m: string) => (warnings.push(m), Promise.resolve('Connect Without Verifying'));
    let id: string | undefined;
    try {
      id = await vscode.commands.executeCommand<string>('socketLab.connectTls', `127.0.0.1:${port}`);
    } finally {
      (vscode.window as { showWarningMessage: unknown }).showWarningMessage = original;
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /certificate verification failed: self-signed certificate$/, 'no .sock advice (ca FILE, insecure) in the palette: its button is the way');
    assert.ok(id, 'the person chose to connect without verifying');
    const ext = vscode.extensions.getExtension<SocketLabApi>('socket-lab.socket-lab');
    const rec = ext?.exports.endpoints().find((r) => r.id === id);
    assert.equal(rec?.transport, 'tls');
    assert.equal(rec?.state, 'open');
    assert.equal(await vscode.commands.executeCommand('socketLab.send', id, 'olleh\\n'), 6);
    for (let i = 0; i < 100 && (ext?.exports.endpoints().find((r) => r.id === id)?.bytesIn ?? 0) < 6; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(ext?.exports.endpoints().find((r) => r.id === id)?.bytesIn, 6, 's_server -rev answered the line reversed');
    assert.deepEqual(ext?.exports.endpoints().find((r) => r.id === id)?.tls, { protocol: 'TLSv1.3', verified: false });
    for (let i = 0; i < 40 && !ext?.exports.tree().some((n) => n.id === id && n.description.endsWith('TLSv1.3 NOT VERIFIED')); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(ext?.exports.tree().some((n) => n.id === id && n.description.endsWith('TLSv1.3 NOT VERIFIED')), 'the tree says the certificate was not verified');
  });
});
