/**
 * The endpoint a person types in the palette's input box (or a command receives as its argument),
 * checked as they type: the same `HOST:PORT` rules as `.sock` files, with the default host of the
 * `socketLab.defaultBindHost` setting for a listener's port alone.
 */
import { isAbsolute } from 'node:path';
import { parseHostPort, parseListenerHostPort, type Endpoint, type Transport } from './address';
import { SocketLabError } from './errors';

/**
 * Turns what a person typed into an endpoint: `HOST:PORT`, `[::1]:PORT`, or (listeners) `PORT`
 * alone, which binds `defaultHost` ({@link parseListenerHostPort}); for Unix, an absolute path.
 * Surrounding whitespace is ignored.
 *
 * @param transport the transport the command asked for
 * @param listener true for a listener (a port alone, and port 0 for a free port, are allowed)
 * @param defaultHost the host a listener's port alone binds (the `socketLab.defaultBindHost` setting)
 * @returns the endpoint, or the message to show under the input box (never throws for bad input)
 */
export function parseEndpointInput(text: string, transport: Transport, listener: boolean, defaultHost: string): Endpoint | string {
  const t = text.trim();
  if (transport === 'unix') {
    if (!t) return 'Type the path of the Unix socket, e.g. /tmp/lab.socket';
    return isAbsolute(t) ? { transport: 'unix', path: t } : 'Use an absolute path, e.g. /tmp/lab.socket';
  }
  try {
    const { host, port } = listener ? parseListenerHostPort(t, defaultHost) : parseHostPort(t);
    if (!listener && port === 0) return 'Port 0 only makes sense for a listener: type the port to connect to';
    return { transport, host, port };
  } catch (err) {
    return err instanceof SocketLabError ? err.message.replace(/^"[^"]*": /, '') : String(err);
  }
}
