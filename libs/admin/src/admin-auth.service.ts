import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '#audit';
import { AppConfig } from '#config';
import { KeyValueStore } from '#redis';
import { PasswordHasher, UsersService, type User } from '#users';

/** Failed sign-ins are counted per account and per address in a window that starts at the first. */
const ATTEMPT_WINDOW_MS = 15 * 60_000;
const attemptsKey = (key: string) => `admin:failed:${key}`;

/** What AdminJS keeps in the session for a signed-in admin. */
export interface CurrentAdmin {
  id: string;
  email: string;
  title: string;
  role: string;
  /** Which credentials the session was opened with (see credentialStamp). */
  stamp: string;
}

/** Thrown to AdminJS, which shows the message on its login page. */
export class TooManySignInAttempts extends Error {
  constructor() {
    super('Too many failed sign-ins; try again in 15 minutes.');
  }
}

/**
 * Admin panel sign-in: only active admins with a password get in. Unknown user, wrong password,
 * not an admin and blocked all take the same argon2 time and give the same answer; failures are
 * limited per account and per IP, and every attempt is audited.
 */
@Injectable()
export class AdminAuthService {
  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(KeyValueStore) private readonly kv: KeyValueStore,
  ) {}

  async signIn(rawLogin: unknown, rawPassword: unknown, ip: string | undefined): Promise<CurrentAdmin | null> {
    const login = normalizeLogin(rawLogin);
    const password = typeof rawPassword === 'string' ? rawPassword : '';
    // Keys of a fixed size, whatever was typed (a login is the attacker's to choose), and keyed, so
    // a reader of Redis cannot test which usernames or addresses were tried.
    const account = `account:${createHmac('sha256', this.config.admin.sessionSecret)
      .update(login ?? String(rawLogin))
      .digest('base64url')}`;
    const address = `ip:${ip ?? 'unknown'}`;
    const { maxFailedSignInsPerAccount, maxFailedSignInsPerIp } = this.config.admin;
    // Counted before the password is checked, atomically per key, so a burst of concurrent guesses
    // gets no more checks than the limit however it arrives.
    const [accountAttempts, addressAttempts] = await Promise.all(
      [account, address].map(async (key) => (await this.kv.add(attemptsKey(key), 1, ATTEMPT_WINDOW_MS)).count),
    );
    if (accountAttempts > maxFailedSignInsPerAccount || addressAttempts > maxFailedSignInsPerIp) throw new TooManySignInAttempts();
    const user = login === undefined ? null : await this.users.findWithPasswordHash({ login });
    const passwordMatches = await this.passwords.verify(user?.passwordHash, password);
    if (!user || !passwordMatches || user.role !== 'admin' || !user.isActive) {
      await this.audit.recordBestEffort({
        type: 'admin.sign_in_failed',
        targetId: user?.id ?? null,
        ip,
        details: { login: String(rawLogin ?? '').slice(0, MAX_LOGIN_LENGTH) },
      });
      return null;
    }
    // The account's failures are forgotten; the address gets this attempt back (only failures count).
    await Promise.all([this.kv.delete(attemptsKey(account)), this.kv.add(attemptsKey(address), -1, ATTEMPT_WINDOW_MS)]);
    await this.audit.record({ type: 'admin.signed_in', actorId: user.id, targetId: user.id, ip });
    return { id: user.id, email: user.email ?? user.username, title: user.username, role: user.role, stamp: this.credentialStamp(user) };
  }

  /**
   * Checked before every panel action: a session outlives nothing. An admin who has been blocked
   * or demoted since signing in, or whose password has been set again, is refused at once, and the
   * session stays dead if the account is made an admin again.
   */
  async isStillAdmin(currentAdmin: { id?: unknown; stamp?: unknown } | undefined): Promise<boolean> {
    const id = typeof currentAdmin?.id === 'string' ? currentAdmin.id : undefined;
    const user = id ? await this.users.findWithPasswordHash({ id }) : null;
    return !!user && user.isActive && user.role === 'admin' && currentAdmin?.stamp === this.credentialStamp(user);
  }

  /**
   * Changes when the password is set and when every session is ended (a block, a demotion, logout
   * everywhere), so a panel session opened before any of those no longer works. Keyed with the
   * session secret: the session store holds nothing computed from the password hash alone.
   */
  private credentialStamp(user: Pick<User, 'sessionVersion' | 'passwordHash'>): string {
    return createHmac('sha256', this.config.admin.sessionSecret)
      .update(`${user.sessionVersion}\n${user.passwordHash ?? ''}`)
      .digest('base64url');
  }
}

/** The longest login that can name an account (an email address is at most 254 characters). */
const MAX_LOGIN_LENGTH = 254;

/** A username or email as stored, or undefined for what can name no account. */
function normalizeLogin(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const value = raw.trim().toLowerCase();
  return value.length > 0 && value.length <= MAX_LOGIN_LENGTH ? value : undefined;
}
