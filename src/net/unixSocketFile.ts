/**
 * The file a Unix listener binds, removed on close only if it is still the listener's own.
 *
 * libuv unlinks the path a pipe was bound to when the pipe closes (`uv__pipe_close`), whatever
 * is at that path by then: a regular file that replaced the socket, or the live socket of
 * another process that bound the path after this one's file was removed. So the listener binds
 * through a name libuv can unlink harmlessly: a symlink to the socket's folder, inside a private
 * folder (mode 0700, from `mkdtemp(3)`). Once bound, the symlink is removed, so that name no
 * longer resolves; the folder stays, empty, until the listener closes, so no one else can make
 * the same name meanwhile. The socket file itself is removed by {@link UnixSocketFile.remove}:
 * only when it is a socket with the device and inode number it had right after bind.
 */
import { lstatSync, mkdtempSync, rmdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { unixPathLimit } from './address';

/** A bound Unix socket file: where to bind it, and how to remove it when the listener closes. */
export class UnixSocketFile {
  /** Device and inode of the socket file right after bind; unset before, or when it could not be read. */
  private identity: { readonly dev: bigint; readonly ino: bigint } | undefined;

  private constructor(
    /** The socket path as the user gave it. */
    readonly path: string,
    /** The name passed to bind(2): through the private folder's symlink, or `path` itself. */
    readonly bindPath: string,
    private readonly privateDir: string | undefined,
  ) {}

  /**
   * Prepares to bind `path` (an absolute or relative file path; an abstract name, starting with
   * NUL, is bound as is). Falls back to binding `path` itself when the private folder cannot be
   * made, or when the name through it would not fit `sun_path`.
   */
  static prepare(path: string): UnixSocketFile {
    if (path.startsWith('\0')) return new UnixSocketFile(path, path, undefined);
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(tmpdir(), 'sl-'));
      const via = join(dir, 'd', basename(path));
      if (Buffer.byteLength(via) > unixPathLimit(via)) throw new RangeError('the private name would not fit sun_path');
      symlinkSync(dirname(resolve(path)), join(dir, 'd'));
      return new UnixSocketFile(path, via, dir);
    } catch {
      if (dir) rmdirQuietly(dir);
      return new UnixSocketFile(path, path, undefined);
    }
  }

  /**
   * Called once bind(2) has succeeded: records the file's device and inode, and removes the
   * symlink, so libuv's unlink at close finds nothing.
   */
  bound(): void {
    try {
      const st = lstatSync(this.path, { bigint: true });
      if (st.isSocket()) this.identity = { dev: st.dev, ino: st.ino };
    } catch {
      // Gone already: nothing of ours to remove later.
    }
    this.unlinkSymlink();
  }

  /** Called when the bind failed for good: removes the symlink and the private folder. */
  abandon(): void {
    this.unlinkSymlink();
    if (this.privateDir) rmdirQuietly(this.privateDir);
  }

  /**
   * Removes the socket file if it is still this listener's: a socket with the device and inode
   * recorded at bind. Call it before the server closes, while the listener's socket still holds
   * that inode (so it cannot have been reused). Then removes the private folder. Safe to call twice.
   *
   * @returns true when the file was removed
   */
  remove(): boolean {
    let removed = false;
    const id = this.identity;
    this.identity = undefined;
    if (id) {
      try {
        const st = lstatSync(this.path, { bigint: true });
        if (st.isSocket() && st.dev === id.dev && st.ino === id.ino) {
          unlinkSync(this.path);
          removed = true;
        }
      } catch {
        // Nothing at the path any more.
      }
    }
    if (this.privateDir) rmdirQuietly(this.privateDir);
    return removed;
  }

  private unlinkSymlink(): void {
    if (!this.privateDir) return;
    try {
      unlinkSync(join(this.privateDir, 'd'));
    } catch {
      // Already removed.
    }
  }
}

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Already removed, or not empty (then it is not ours to empty).
  }
}
