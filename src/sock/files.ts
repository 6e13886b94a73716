/**
 * Files a `.sock` file names: `file PATH` payloads and a TLS block's `ca`, `cert` and `key`.
 *
 * Only regular files are read: a device (`/dev/zero`, `/dev/urandom`), a FIFO or a socket is
 * refused before a byte is read, because its size says nothing of what reading it yields and a
 * FIFO with no writer would never answer. The file is opened with `O_NONBLOCK`, so even a FIFO
 * swapped in after a check cannot block, and its type is taken from that open descriptor
 * (`fstat(2)`). Reading is asynchronous and the size limit applies to the bytes actually read,
 * not to what `stat` said (files under `/proc` say 0).
 *
 * Concurrent readers of one file share one Buffer: a listener whose sessions each `send file
 * big.bin` to peers that never read holds one copy, not one per peer. The sharing lasts only while
 * some session still holds the bytes (a `WeakRef`), and a changed file (size, mtime or ctime) is
 * read again.
 */
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { createError, fromNodeError } from '../net/errors';

/** The largest `file PATH` payload: 64 MiB. */
export const MAX_FILE_PAYLOAD = 64 * 1024 * 1024;
/** The largest `ca`, `cert` or `key` file: 1 MiB (a CA bundle of every public root is about 220 KB). */
export const MAX_PEM_FILE = 1024 * 1024;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Bytes read, by file identity, while some session still holds them. */
const shared = new Map<string, WeakRef<Buffer>>();
/** Reads under way, by file identity. */
const inFlight = new Map<string, Promise<Buffer>>();
const forget = new FinalizationRegistry<string>((key) => {
  if (shared.get(key)?.deref() === undefined) shared.delete(key);
});

/**
 * The bytes of the regular file at `path` (relative to `baseDir`), at most `limit` bytes.
 * @param what how the `.sock` file names it, for messages: `file`, `ca`, `cert`, `key`.
 * @throws SocketLabError `EBADPAYLOAD` for anything but a regular file, `ETOOBIG` past `limit`,
 *   or the system's code (`ENOENT`, `EACCES`, `EISDIR` …), each message starting `WHAT PATH:`.
 */
export async function readRegularFile(baseDir: string, path: string, what: string, limit: number): Promise<Buffer> {
  const full = resolvePath(baseDir, path);
  const tooBig = (n: string): Error => createError('ETOOBIG', `${what} ${path}: ${n} bytes is more than the ${limit}-byte limit of ${what === 'file' ? 'a file payload' : `a ${what} file`}`);
  let fh;
  try {
    fh = await open(full, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw fromNodeError(err, `${what} ${path}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw createError('EBADPAYLOAD', `${what} ${path}: ${kindOf(st)}, not a regular file: only regular files are read`);
    if (st.size > limit) throw tooBig(String(st.size));
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const known = shared.get(key)?.deref();
    if (known && known.length <= limit) return known;
    // Sessions that start together wait for one read rather than each reading a copy.
    const pending = inFlight.get(key);
    if (pending) {
      const bytes = await pending;
      if (bytes.length > limit) throw tooBig(String(bytes.length));
      return bytes;
    }
    const reading = readAll(fh, st.size, limit, tooBig);
    inFlight.set(key, reading);
    try {
      const bytes = await reading;
      shared.set(key, new WeakRef(bytes));
      forget.register(bytes, key);
      return bytes;
    } finally {
      inFlight.delete(key);
    }
  } catch (err) {
    throw fromNodeError(err, `${what} ${path}`);
  } finally {
    await fh.close();
  }
}

/** Reads `fh` to its end, at most `limit` bytes; `size` is what fstat said, a first guess. */
async function readAll(fh: FileHandle, size: number, limit: number, tooBig: (n: string) => Error): Promise<Buffer> {
  let buf = Buffer.allocUnsafe(Math.min(limit + 1, Math.max(size + 1, 64 * 1024)));
  let n = 0;
  for (;;) {
    if (n > limit) throw tooBig(`more than ${limit}`);
    if (n === buf.length) {
      const bigger = Buffer.allocUnsafe(Math.min(limit + 1, buf.length * 2));
      buf.copy(bigger, 0, 0, n);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  // A copy of the exact size when the buffer grew past the file, so shared bytes hold little slack.
  return buf.length - n <= 64 * 1024 ? buf.subarray(0, n) : Buffer.from(buf.subarray(0, n));
}
