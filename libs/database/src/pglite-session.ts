/**
 * PGlite is one Postgres session. Everything that uses it takes this lock for as long as it needs
 * the session to itself: a TypeORM checkout (a query, or a whole transaction) in this process, or a
 * transaction of a client connected through the loopback socket (pglite-share.ts).
 */
export class PGliteSessionLock {
  private tail: Promise<void> = Promise.resolve();

  /** Waits for the session; resolves with the function that gives it back (safe to call twice). */
  async acquire(): Promise<() => void> {
    let releaseTurn!: () => void;
    const turn = new Promise<void>((resolve) => (releaseTurn = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releaseTurn();
    };
  }
}

export const pgliteSession = new PGliteSessionLock();
