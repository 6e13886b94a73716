/**
 * The TLS options of a block, from its TLS lines: a `connect tls` block's `insecure`, `ca`,
 * `servername` and `alpn`; a `listen tls` block's `cert` and `key` files or `self-signed`, and
 * `alpn`. Files are read relative to the `.sock` file, regular files only (files.ts).
 */
import { selfSignedCertificate, type TlsClientOptions, type TlsServerOptions } from '../../net/tlsInfo';
import type { Template, TlsSettings } from '../ast';
import { MAX_PEM_FILE, readRegularFile } from '../files';

/** Expands a path's `{{…}}` for this run (`Scope.expand`). */
type Expand = (t: Template) => string;

/**
 * The options of a TLS client: verification stays on unless `insecure`; `ca FILE` (PEM, at
 * most {@link MAX_PEM_FILE}, 1 MiB) replaces Node's bundled roots; `cert` and `key` are its
 * certificate for a server that asks for one (mutual TLS).
 * @param baseDir the folder of the `.sock` file
 * @throws SocketLabError from {@link readRegularFile} (`ENOENT`, `EBADPAYLOAD`, `ETOOBIG` …) for
 *   the `ca` file, `EVARIABLE` from `expand`.
 */
export async function tlsClientOptions(t: TlsSettings, expand: Expand, baseDir: string): Promise<TlsClientOptions> {
  return {
    ...(t.insecure ? { insecure: true } : {}),
    ...(t.servername ? { servername: t.servername } : {}),
    ...(t.alpn ? { alpn: t.alpn } : {}),
    ...(t.ca ? { ca: await readRegularFile(baseDir, expand(t.ca), 'ca', MAX_PEM_FILE) } : {}),
    ...(t.cert && t.key ? { cert: await readRegularFile(baseDir, expand(t.cert), 'cert', MAX_PEM_FILE), key: await readRegularFile(baseDir, expand(t.key), 'key', MAX_PEM_FILE) } : {}),
  };
}

/**
 * The certificate and key of a TLS listener: made for `host` with `self-signed`
 * ({@link selfSignedCertificate}), else read from the `cert` and `key` files (PEM, at most 1 MiB
 * each); with a `note` for the transcript naming the certificate (its fingerprint, or its path).
 * @param baseDir the folder of the `.sock` file
 * @throws SocketLabError from {@link readRegularFile} for the `cert` or `key` file, `EVARIABLE`
 *   from `expand`.
 */
export async function tlsServerOptions(t: TlsSettings, host: string, expand: Expand, baseDir: string): Promise<{ options: TlsServerOptions; note: string }> {
  const alpn = { ...(t.alpn ? { alpn: t.alpn } : {}), ...(t.ca ? { clientCa: await readRegularFile(baseDir, expand(t.ca), 'ca', MAX_PEM_FILE) } : {}) };
  if (t.selfSigned) {
    const made = await selfSignedCertificate(host);
    return { options: { cert: made.cert, key: made.key, ...alpn }, note: `self-signed certificate CN=localhost, SHA-256 ${made.fingerprint}` };
  }
  const certPath = expand(t.cert as Template);
  const [cert, key] = await Promise.all([readRegularFile(baseDir, certPath, 'cert', MAX_PEM_FILE), readRegularFile(baseDir, expand(t.key as Template), 'key', MAX_PEM_FILE)]);
  return { options: { cert, key, ...alpn }, note: `certificate ${certPath}${t.ca ? '; client certificates required (mutual TLS)' : ''}` };
}
