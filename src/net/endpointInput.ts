/**
 * The endpoint a person types in the palette's input box (or a command receives as its argument),
 * checked as they type: the same `HOST:PORT` rules as `.sock` files, with the default host of the
 * `socketLab.defaultBindHost` setting for a listener's port alone.
 */
import { isAbsolute } from 'node:path';
import { parseHostPort, parseListenerHostPort, type Endpoint, type Transport } from './address';
import { SocketLabError } from './errors';

/** The ports of the URL schemes people paste (RFC 7230 §2.7, RFC 6455 §3). */
const SCHEME_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443, 'ftp:': 21 };

/** A URL's host and port (its scheme's when it names none), or the message saying why not. */
function urlEndpoint(text: string): { host: string; port: number } | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'That is not a URL Socket Lab can read: type HOST:PORT, e.g. 127.0.0.1:8080';
  }
  const port = url.port ? Number(url.port) : SCHEME_PORTS[url.protocol];
  if (port === undefined) return `The URL names no port and ${url.protocol.slice(0, -1)} has none Socket Lab knows: type HOST:PORT`;
  // URL keeps an IPv6 host in brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return host ? { host, port } : 'The URL has no host';
}

/**
 * Turns what a person typed into an endpoint: `HOST:PORT`, `[::1]:PORT`, a URL (`http://host:8080/`,
 * its scheme's port when it names none), or (listeners) `PORT` alone, which binds `defaultHost`
 * ({@link parseListenerHostPort}); for Unix, an absolute path.
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
  // A URL pasted from a browser or a config file: its host and port (or its scheme's port).
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? urlEndpoint(t) : undefined;
  if (typeof url === 'string') return url;
  try {
    const { host, port } = url ?? (listener ? parseListenerHostPort(t, defaultHost) : parseHostPort(t));
    if (!listener && port === 0) return 'Port 0 only makes sense for a listener: type the port to connect to';
    return { transport, host, port };
  } catch (err) {
    return err instanceof SocketLabError ? err.message.replace(/^"[^"]*": /, '') : String(err);
  }
}
