/**
 * TLS for Socket Lab's streams: client and server options, the summary of a negotiated session
 * (protocol, cipher, ALPN, the peer certificate), and self-signed certificates made on request by
 * the `selfsigned` library. Verification is Node's (`tls.connect` with `rejectUnauthorized`).
 */
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';

/** Options of a TLS client. Verification of the certificate and host name is on by default. */
export interface TlsClientOptions {
  /** Skip certificate and host-name verification; shown as such in every transcript. */
  readonly insecure?: boolean;
  /** Trust these PEM certificates instead of Node's bundled root certificates. */
  readonly ca?: Buffer;
  /** The name sent as SNI and checked against the certificate; default the host. */
  readonly servername?: string;
  /** ALPN protocols to offer, e.g. `h2`, `http/1.1`. */
  readonly alpn?: readonly string[];
  /** A client certificate (PEM chain) and its key, for a server that asks for one (mutual TLS). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Options of a TLS listener: a PEM certificate (chain) and its key. */
export interface TlsServerOptions {
  readonly cert: Buffer | string;
  readonly key: Buffer | string;
  /**
   * Mutual TLS: require every client to present a certificate issued by these PEM certificates,
   * and refuse the handshake of one that does not (Node's `requestCert` and `rejectUnauthorized`).
   */
  readonly clientCa?: Buffer;
  /** ALPN protocols to accept, in order of preference. */
  readonly alpn?: readonly string[];
}

/** A certificate in short, as a transcript shows it. */
export interface CertificateSummary {
  /** The subject's distinguished name, e.g. `CN=localhost`. */
  readonly subject: string;
  readonly issuer: string;
  /** Validity period, as OpenSSL prints dates (`Nov 21 08:00:00 2026 GMT`). */
  readonly validFrom: string;
  readonly validTo: string;
  /** SHA-256 fingerprint, colon-separated uppercase hex. */
  readonly fingerprint256: string;
  /** Subject alternative names as OpenSSL prints them (`DNS:localhost, IP Address:127.0.0.1`). */
  readonly subjectAltName?: string;
}

/** A negotiated TLS session. */
export interface TlsSummary {
  /** `TLSv1.3`, `TLSv1.2` … */
  readonly protocol: string;
  /** The cipher suite's standard name, e.g. `TLS_AES_256_GCM_SHA384`. */
  readonly cipher: string;
  /** The ALPN protocol agreed on, or `false` when none. */
  readonly alpn: string | false;
  /** True when the peer's certificate was verified (always false when verification was skipped). */
  readonly verified: boolean;
  /** Why verification failed or was skipped, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  readonly verifyError?: string;
  /** The peer's certificate; absent when the peer sent none (a client, usually). */
  readonly peerCertificate?: CertificateSummary;
}

function dn(fields: Record<string, string | string[] | undefined> | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

/** Summarises a certificate from Node's `getPeerCertificate()`. */
export function summarizeCertificate(cert: PeerCertificate): CertificateSummary {
  return {
    subject: dn(cert.subject as unknown as Record<string, string>),
    issuer: dn(cert.issuer as unknown as Record<string, string>),
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
    fingerprint256: cert.fingerprint256,
    ...(cert.subjectaltname ? { subjectAltName: cert.subjectaltname } : {}),
  };
}

/** Summarises the session of a connected TLS socket. */
export function summarizeTls(socket: TLSSocket): TlsSummary {
  const cert = socket.getPeerCertificate();
  const hasCert = cert && Object.keys(cert).length > 0;
  const error = socket.authorizationError;
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? 'unknown',
    alpn: socket.alpnProtocol ?? false,
    verified: socket.authorized,
    ...(error ? { verifyError: typeof error === 'string' ? error : ((error as Error & { code?: string }).code ?? error.message) } : {}),
    ...(hasCert ? { peerCertificate: summarizeCertificate(cert) } : {}),
  };
}

/** One line for transcripts: `TLSv1.3 TLS_AES_256_GCM_SHA384, ALPN h2, CN=localhost (SHA-256 AB:…)`. */
export function describeTls(t: TlsSummary, insecure: boolean): string {
  const parts = [`${t.protocol} ${t.cipher}`];
  if (t.alpn) parts.push(`ALPN ${t.alpn}`);
  if (t.peerCertificate) {
    const c = t.peerCertificate;
    parts.push(`peer ${c.subject} issued by ${c.issuer}, valid ${c.validFrom} to ${c.validTo}, SHA-256 ${c.fingerprint256}`);
  }
  if (insecure) parts.push(`NOT VERIFIED (insecure)${t.verifyError ? `: ${t.verifyError}` : ''}`);
  else if (t.peerCertificate) parts.push('verified');
  return parts.join('; ');
}

/**
 * Makes a self-signed certificate for a listener (ECDSA P-256, SHA-256, valid 30 days) with the
 * subject `CN=localhost` and alternative names `localhost`, `127.0.0.1`, `::1` and `host` when it
 * is another address or name.
 *
 * The `selfsigned` library is loaded on the first call, not with the module: with its
 * dependencies it is most of the bundle's code, and one of them (`reflect-metadata`) adds
 * functions to the global `Reflect`, which the extension host shares with every other extension.
 * The extension and CLI bundles load it from a bundle of its own, `dist/selfsigned.js`
 * (esbuild.mjs).
 *
 * @returns PEM certificate and private key, and the certificate's SHA-256 fingerprint (`AB:CD:…`)
 */
export async function selfSignedCertificate(host?: string): Promise<{ cert: string; key: string; fingerprint: string }> {
  const altNames: ({ type: 2; value: string } | { type: 7; ip: string })[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ];
  if (host && !['localhost', '127.0.0.1', '::1', '0.0.0.0', '::'].includes(host)) {
    altNames.push(/^[\d.]+$|:/.test(host) ? { type: 7, ip: host } : { type: 2, value: host });
  }
  const notBeforeDate = new Date(Date.now() - 60_000);
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'Socket Lab (self-signed)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 30 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: pems.cert, key: pems.private, fingerprint: new X509Certificate(pems.cert).fingerprint256 };
}
