import * as vscode from 'vscode';
import { parsePayloadInput } from '../net/payloadInput';
import { MAX_FILE_PAYLOAD, readRegularFile } from '../sock/files';

/**
 * Asks what to send: text with escapes, hex, or base64 in a validating input box, or a file.
 * @returns the bytes, or undefined when cancelled
 */
export async function askPayload(target: string): Promise<Buffer | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: '$(edit) Type a payload', description: 'text with \\r\\n escapes, hex 47 45 54, or base64 R0VU', id: 'type' },
      { label: '$(file) Send a file…', description: 'its bytes as they are', id: 'file' },
    ],
    { title: `Send to ${target}`, placeHolder: 'What to send' },
  );
  if (!pick) return undefined;
  if (pick.id === 'file') {
    const uri = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Send' });
    // A regular file of at most 64 MiB, as a `file PATH` payload: a device or FIFO is refused.
    return uri?.[0] ? readRegularFile('/', uri[0].fsPath, 'file', MAX_FILE_PAYLOAD) : undefined;
  }
  const text = await vscode.window.showInputBox({
    title: `Send to ${target}`,
    prompt: 'Text with escapes (\\r \\n \\t \\0 \\\\ \\xHH), or hex 47 45 54, or base64 R0VU',
    placeHolder: 'GET / HTTP/1.0\\r\\n\\r\\n',
    ignoreFocusOut: true,
    validateInput: (v) => {
      const r = parsePayloadInput(v);
      return typeof r === 'string' ? r : undefined;
    },
  });
  if (text === undefined) return undefined;
  const bytes = parsePayloadInput(text);
  return typeof bytes === 'string' ? undefined : bytes;
}
