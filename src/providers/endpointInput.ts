import { isAbsolute } from 'node:path';
import * as vscode from 'vscode';
import { parseHostPort, type Endpoint } from '../net/address';
import { SocketLabError } from '../net/errors';

/** The transports a command asks an endpoint for. */
export type InputTransport = 'tcp' | 'udp' | 'unix' | 'tls';

/**
 * Turns what a person typed into an endpoint: `HOST:PORT`, `[::1]:PORT`, or (listeners) `PORT`
 * alone, which binds `defaultHost`; for Unix, an absolute path.
 *
 * @returns the endpoint, or the message to show under the input box
 */
export function parseEndpointInput(text: string, transport: InputTransport, listener: boolean, defaultHost: string): Endpoint | string {
  const t = text.trim();
  if (transport === 'unix') {
    if (!t) return 'Type the path of the Unix socket, e.g. /tmp/lab.socket';
    return isAbsolute(t) ? { transport: 'unix', path: t } : 'Use an absolute path, e.g. /tmp/lab.socket';
  }
  const withHost = listener && /^:?\d+$/.test(t) ? `${defaultHost.includes(':') ? `[${defaultHost}]` : defaultHost}:${t.replace(':', '')}` : t;
  try {
    const { host, port } = parseHostPort(withHost);
    if (!listener && port === 0) return 'Port 0 only makes sense for a listener: type the port to connect to';
    return { transport, host, port };
  } catch (err) {
    return err instanceof SocketLabError ? err.message.replace(/^"[^"]*": /, '') : String(err);
  }
}

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
export async function askEndpoint(context: vscode.ExtensionContext, transport: InputTransport, listener: boolean, defaultHost: string): Promise<Endpoint | undefined> {
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
