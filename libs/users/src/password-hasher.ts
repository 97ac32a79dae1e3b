import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import { DomainError } from '#common';

/** Password checks held at once (one running, the rest waiting); one more is refused at once. */
const MAX_WAITING = 32;

/**
 * argon2id (RFC 9106, OWASP's first choice) with the library's defaults: 64 MiB, 3 passes, 4 lanes.
 * Only admins have passwords, for the admin panel. One hash at a time per process: each takes tens
 * of milliseconds of a core and 64 MiB, so a burst of sign-ins waits its turn (or is refused when
 * too many wait) instead of taking the machine from the API.
 */
@Injectable()
export class PasswordHasher {
  // A real hash of a random password, verified against when the user does not exist, so an
  // unknown username costs the same time as a wrong password. Made on first use.
  private decoy?: Promise<string>;
  private turn: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  hash(password: string): Promise<string> {
    return this.oneAtATime(() => argon2.hash(password, { type: argon2.argon2id }));
  }

  async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    return this.oneAtATime(async () => {
      const target = hash ?? (await (this.decoy ??= argon2.hash(randomUUID(), { type: argon2.argon2id })));
      const matches = await argon2.verify(target, password).catch(() => false);
      return matches && hash !== null && hash !== undefined;
    });
  }

  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    if (this.waiting >= MAX_WAITING)
      return Promise.reject(new DomainError('RATE_LIMITED', 'Too many password checks at once; try again in a moment.', 1));
    this.waiting += 1;
    const run = this.turn.then(work).finally(() => (this.waiting -= 1));
    this.turn = run.catch(() => undefined);
    return run;
  }
}
