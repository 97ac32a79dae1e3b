import { ChurnSet } from '#common';

interface Underway {
  deadline: number;
  reject: (error: Error) => void;
}

/**
 * Bounds every command of a connection in time with one timer for all of them: a timer per command
 * (and a race of two promises) was a few per cent of a /me request's CPU. The sweep runs every
 * `sweepMs` while any is under way, so a command gives up between `timeoutMs` and
 * `timeoutMs + sweepMs` after it was sent. Every command joins and leaves the set of those under
 * way, hence a ChurnSet (see there why not a Set).
 */
export class CommandDeadlines {
  private readonly underway = new ChurnSet<Underway>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly sweepMs = Math.min(100, Math.max(5, timeoutMs / 10)),
  ) {}

  bound<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Underway = { deadline: performance.now() + this.timeoutMs, reject };
      this.underway.add(entry);
      this.sweeper ??= setInterval(() => this.sweep(), this.sweepMs);
      work.then(
        (value) => {
          this.underway.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.underway.delete(entry);
          reject(error);
        },
      );
    });
  }

  private sweep(): void {
    const now = performance.now();
    for (const entry of this.underway) {
      if (entry.deadline > now) continue;
      this.underway.delete(entry);
      entry.reject(new Error(`Redis command timed out after ${this.timeoutMs} ms`));
    }
    if (this.underway.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
