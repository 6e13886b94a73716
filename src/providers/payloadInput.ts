import * as vscode from 'vscode';
import { parsePayloadInput } from '../net/payloadInput';
import { MAX_FILE_PAYLOAD, readRegularFile } from '../sock/files';
import { pickOrType } from './quickInput';

/**
 * Asks what to send in one picker: type a payload (text with escapes, hex or base64, checked as
 * you type, its size shown) and press Enter, or choose "Send a file…".
 * @returns the bytes, or undefined when cancelled
 */
export async function askPayload(target: string): Promise<Buffer | undefined> {
  const FILE = 'file';
  const picked = await pickOrType({
    title: `Send to ${target}`,
    placeholder: 'Type a payload: text with \\r\\n escapes, hex 47 45 54, or base64 R0VU; or pick a file',
    items: [{ label: '$(file) Send a file…', description: 'its bytes as they are', value: FILE }],
    check: (text) => {
      const r = parsePayloadInput(text);
      return typeof r === 'string' ? { ok: false, problem: r } : { ok: true, description: `send ${r.length} byte${r.length === 1 ? '' : 's'}` };
    },
  });
  if (!picked) return undefined;
  if (!picked.typed && picked.value === FILE) {
    const uri = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Send' });
    // A regular file of at most 64 MiB, as a `file PATH` payload: a device or FIFO is refused.
    return uri?.[0] ? readRegularFile('/', uri[0].fsPath, 'file', MAX_FILE_PAYLOAD) : undefined;
  }
  const bytes = parsePayloadInput(picked.value);
  return typeof bytes === 'string' ? undefined : bytes;
}
