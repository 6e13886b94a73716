/**
 * The one owner of every socket the extension opens: the palette's {@link SocketManager} and each
 * `.sock` run register with it, and Stop All, the tree's ✕, Clear Closed and deactivation go
 * through it, so none of them can miss a listener that another part started.
 */

/** Something that holds sockets: the palette's manager, or the run of one `.sock` document. */
export interface SocketHolder {
  /**
   * Closes the socket with this bus id (a listener, a client or an accepted connection) when it is
   * one of its own. A listener's Unix socket file is removed.
   * @returns true when it was its own
   */
  closeSocket(id: string): Promise<boolean>;
  /** Closes every socket it holds (Unix listeners remove their socket files). Safe to call twice. */
  closeAll(): Promise<void>;
}

/** Holds every {@link SocketHolder}; closes them one by id or all at once, and awaits them. */
export class SocketOwner {
  private readonly holders = new Set<SocketHolder>();
  /** Closes still under way, so {@link SocketOwner.settled} can wait for them. */
  private readonly pending = new Set<Promise<unknown>>();
  private disposed = false;

  /**
   * Adds a holder until the returned function removes it. After {@link SocketOwner.dispose}, a
   * holder that registers late is closed at once: nothing outlives deactivation.
   */
  register(holder: SocketHolder): () => void {
    if (this.disposed) {
      void holder.closeAll();
      return () => undefined;
    }
    this.holders.add(holder);
    return () => void this.holders.delete(holder);
  }

  /**
   * Closes the socket with this bus id, whichever holder has it.
   * @returns true when a holder had it
   */
  close(id: string): Promise<boolean> {
    return this.track(
      (async () => {
        for (const h of [...this.holders]) if (await h.closeSocket(id)) return true;
        return false;
      })(),
    );
  }

  /** Closes every socket of every holder and resolves when all have closed (failures are ignored). */
  async closeAll(): Promise<void> {
    await this.track(Promise.allSettled([...this.holders].map((h) => h.closeAll())));
  }

  /**
   * Resolves when every close asked of the owner so far has finished, so what reads the state
   * next (the tree's Clear Closed) sees those sockets closed, not closing.
   */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const done = (): void => void this.pending.delete(work);
    work.then(done, done);
    return work;
  }

  /** Closes everything and refuses new holders (deactivation). Safe to call twice. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.closeAll();
    this.holders.clear();
  }
}
