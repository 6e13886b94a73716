import { connect } from 'node:net';
import * as vscode from 'vscode';
import type { SocketLabApi } from '../../src/extension';

/**
 * What the tree screenshots show: a palette listener on loopback, two raw Node peers that each
 * send a line, and a palette client that sends `ping\r\n` — three accepted connections.
 *
 * @returns the listener's id and the client's id
 */
export async function busyListener(api: SocketLabApi): Promise<{ id: string; client: string }> {
  const id = await vscode.commands.executeCommand<string>('socketLab.startTcpListener', '127.0.0.1:0');
  const rec = api.endpoints().find((r) => r.id === id);
  if (!rec) throw new Error(`listener ${id} is not in the registry`);
  const port = Number(rec.local.split(':')[1]);
  for (const text of ['GET / HTTP/1.0\r\n\r\n', 'hello from a second peer\n']) {
    const c = connect({ host: '127.0.0.1', port });
    c.on('error', () => undefined);
    await new Promise((r) => c.once('connect', r));
    c.write(text);
  }
  const client = await vscode.commands.executeCommand<string>('socketLab.connectTcp', `127.0.0.1:${port}`);
  await vscode.commands.executeCommand('socketLab.send', client, 'ping\\r\\n');
  return { id, client };
}
