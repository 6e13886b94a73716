import * as vscode from 'vscode';
import type { Endpoint, Transport } from '../net/address';
import { parseEndpointInput } from '../net/endpointInput';

/** Where the recent endpoints of each command are kept (global state), for the pickers and completion. */
export const RECENT_ENDPOINTS_KEY = 'socketLab.recentEndpoints';
const RECENT_MAX = 5;

/** The recent list with `value` first, without duplicates, at most {@link RECENT_MAX} long. */
export function withRecent(list: readonly string[], value: string): string[] {
  return [value, ...list.filter((v) => v !== value)].slice(0, RECENT_MAX);
}

/**
 * Asks for an endpoint: a quick pick of the recent ones for this command when there are any,
 * else (or on "New address…") an input box that validates as you type. Remembers the answer.
 *
 * @returns the endpoint, or undefined when the person cancelled
 */
export async function askEndpoint(context: vscode.ExtensionContext, transport: Transport, listener: boolean, defaultHost: string): Promise<Endpoint | undefined> {
  const all = context.globalState.get<Record<string, string[]>>(RECENT_ENDPOINTS_KEY, {});
  const key = `${listener ? 'listen' : 'connect'}-${transport}`;
  const recent = Array.isArray(all[key]) ? all[key] : [];
  const title = `${listener ? 'Listen' : 'Connect'} (${transport.toUpperCase()})`;
  let value: string | undefined;
  if (recent.length > 0) {
    const NEW = '$(add) New address…';
    const pick = await vscode.window.showQuickPick([...recent.map((r) => ({ label: r, description: 'recent' })), { label: NEW, description: '' }], { title, placeHolder: 'A recent address, or a new one' });
    if (!pick) return undefined;
    if (pick.label !== NEW) value = pick.label;
  }
  if (value === undefined) {
    value = await vscode.window.showInputBox({
      title,
      prompt: transport === 'unix' ? 'Unix socket path' : listener ? 'Address to listen on' : 'Address to connect to',
      placeHolder: transport === 'unix' ? '/tmp/lab.socket' : listener ? `${defaultHost}:8080, or a port alone (8080); 0 picks a free port` : '127.0.0.1:8080 or [::1]:8080',
      value: listener && transport !== 'unix' ? `${defaultHost}:0` : '',
      ignoreFocusOut: true,
      validateInput: (v) => {
        const r = parseEndpointInput(v, transport, listener, defaultHost);
        return typeof r === 'string' ? r : undefined;
      },
    });
  }
  if (value === undefined) return undefined;
  const endpoint = parseEndpointInput(value, transport, listener, defaultHost);
  if (typeof endpoint === 'string') {
    void vscode.window.showErrorMessage(`Socket Lab: "${value}": ${endpoint}`);
    return undefined;
  }
  await context.globalState.update(RECENT_ENDPOINTS_KEY, { ...all, [key]: withRecent(recent, value.trim()) });
  return endpoint;
}
