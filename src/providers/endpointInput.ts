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

const RECENT_KEY = 'socketLab.recentEndpoints';

/**
 * Asks for an endpoint with an input box that validates as you type, offering the last one used
 * for this transport; remembers the answer.
 *
 * @returns the endpoint, or undefined when the person cancelled
 */
export async function askEndpoint(context: vscode.ExtensionContext, transport: InputTransport, listener: boolean, defaultHost: string): Promise<Endpoint | undefined> {
  const recent = context.globalState.get<Record<string, string>>(RECENT_KEY, {});
  const key = `${listener ? 'listen' : 'connect'}-${transport}`;
  const placeHolder = transport === 'unix' ? '/tmp/lab.socket' : listener ? `${defaultHost}:8080, or a port alone (8080); 0 picks a free port` : '127.0.0.1:8080 or [::1]:8080';
  const value = await vscode.window.showInputBox({
    title: `${listener ? 'Listen' : 'Connect'} (${transport.toUpperCase()})`,
    prompt: transport === 'unix' ? 'Unix socket path' : listener ? 'Address to listen on' : 'Address to connect to',
    placeHolder,
    value: recent[key] ?? (listener && transport !== 'unix' ? `${defaultHost}:0` : ''),
    ignoreFocusOut: true,
    validateInput: (v) => {
      const r = parseEndpointInput(v, transport, listener, defaultHost);
      return typeof r === 'string' ? r : undefined;
    },
  });
  if (value === undefined) return undefined;
  const endpoint = parseEndpointInput(value, transport, listener, defaultHost);
  if (typeof endpoint === 'string') return undefined;
  await context.globalState.update(RECENT_KEY, { ...recent, [key]: value.trim() });
  return endpoint;
}
