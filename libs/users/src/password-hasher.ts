import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import argon2 from 'argon2';

/**
 * argon2id (RFC 9106, OWASP's first choice) with the library's defaults: 64 MiB, 3 passes, 4 lanes.
 * Only admins have passwords, for the admin panel.
 */
@Injectable()
export class PasswordHasher {
  // A real hash of a random password, verified against when the user does not exist, so an
  // unknown username costs the same time as a wrong password. Made on first use.
  private decoy?: Promise<string>;

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    const target = hash ?? (await (this.decoy ??= this.hash(randomUUID())));
    const matches = await argon2.verify(target, password).catch(() => false);
    return matches && hash !== null && hash !== undefined;
  }
}
