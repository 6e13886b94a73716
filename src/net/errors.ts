/**
 * The one error type of the socket core. Every failure a user can meet — a Node system error
 * (`ECONNREFUSED`, `EADDRINUSE`, `ENOTFOUND` …), a receive timeout, a malformed address — reaches
 * the caller as a {@link SocketLabError} with a stable `code`, a message a person can act on, and
 * the original error as `cause`. Errors are made here and nowhere else.
 */
import { ERROR_CODES, errorCodeInfo } from './errorCodes';

/** Stable codes of errors that do not come from the operating system. */
export type SocketLabCode =
  | 'EBADADDR' // an address or endpoint that does not parse
  | 'EBADPAYLOAD' // a payload (escape, hex) that does not parse, or a file that is not a regular file
  | 'ESERVICE' // service/proto not found (getservbyname(3))
  | 'ETIMEDOUT' // a receive or connect did not complete in time
  | 'EOF' // the peer closed before the awaited bytes arrived
  | 'ETOOBIG' // a receive exceeded its byte bound
  | 'ECLOSED' // the socket was closed locally while an operation waited
  | 'ECANCELED' // the run was cancelled
  | 'EVARIABLE' // a {{variable}} that has no value when the step runs
  | 'ECAPTURE' // a capture found nothing to take in the last value
  | 'EINTERNAL' // a defect of Socket Lab escaped a block; the run closed every socket
  | 'ESTARTTLS' // STARTTLS asked of a connection that cannot take it (not TCP, TLS already, closed, unread bytes)
  | 'ENOTCAPTURED'; // a traffic capture that does not hold what was asked of it (a connection to replay)

/** The codes of a TLS peer certificate that did not verify (the errors `insecure` would skip). */
export const TLS_VERIFY_CODES: ReadonlySet<string> = new Set(ERROR_CODES.filter((e) => e.tlsVerify).map((e) => e.code));

/**
 * A message without the advice the `.sock` language gives after its `;` (`trust it with ca FILE,
 * or add insecure`), for a place where those lines do not exist (the palette offers a button).
 */
export function withoutSockAdvice(message: string): string {
  return message.replace(/; (trust (it|its root) with ca FILE|set servername|add insecure)[^;]*$/, '');
}

/**
 * An error of the socket core: `code` is stable (an errno name such as `ECONNREFUSED`, or one of
 * {@link SocketLabCode}), `errno` is the operating system's number when there is one, `cause` is
 * the underlying error.
 */
export class SocketLabError extends Error {
  override readonly name = 'SocketLabError';
  constructor(
    readonly code: string,
    message: string,
    readonly errno?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Creates a {@link SocketLabError} for a failure that is not an operating-system error. */
export function createError(code: SocketLabCode, message: string, cause?: unknown): SocketLabError {
  return new SocketLabError(code, message, undefined, cause === undefined ? undefined : { cause });
}

interface NodeSystemError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/**
 * Converts whatever a Node API threw or emitted into a {@link SocketLabError}.
 *
 * @param err the thrown value (a Node `SystemError`, a DNS error, anything)
 * @param context what was being done, e.g. `connect tcp 127.0.0.1:1`; it starts the message
 * @returns the same error when it already is a {@link SocketLabError}, else a new one whose
 *   message reads `<context>: <hint> (<CODE>)`, e.g.
 *   `connect tcp 127.0.0.1:1: connection refused: nothing is listening there (ECONNREFUSED)`
 */
export function fromNodeError(err: unknown, context: string): SocketLabError {
  if (err instanceof SocketLabError) return err;
  const e = (err instanceof Error ? err : new Error(String(err))) as NodeSystemError;
  const code = typeof e.code === 'string' ? e.code : 'EUNKNOWN';
  // OpenSSL's messages span lines; a transcript line must not.
  const message = e.message.replace(/\s*\n\s*/g, ' ').trim();
  const hint = errorCodeInfo(code)?.hint ?? (code.startsWith('ERR_SSL_') ? `TLS handshake failed: ${message}` : message);
  const errno = typeof e.errno === 'number' ? e.errno : undefined;
  return new SocketLabError(code, `${context}: ${hint} (${code})`, errno, { cause: e });
}

/** True when `err` carries the given code; works for Node errors and {@link SocketLabError}. */
export function hasCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
