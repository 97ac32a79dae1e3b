import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '#audit';
import { Clock } from '#common';
import { AppConfig } from '#config';
import { RedisConnection } from '#redis';
import { PasswordHasher, User } from '#users';
import { FailedSignIns } from './failed-sign-ins.js';

/** What AdminJS keeps in the session for a signed-in admin. */
export interface CurrentAdmin {
  id: string;
  email: string;
  title: string;
  role: string;
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
  private readonly failures: FailedSignIns;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(Clock) clock: Clock,
    @Optional() @Inject(RedisConnection) redis: RedisConnection | null,
  ) {
    this.failures = new FailedSignIns(redis ?? null, clock);
  }

  async signIn(login: string, password: string, ip: string | undefined): Promise<CurrentAdmin | null> {
    const account = `account:${String(login ?? '').trim().toLowerCase()}`;
    const address = `ip:${ip ?? 'unknown'}`;
    const { maxFailedSignInsPerAccount, maxFailedSignInsPerIp } = this.config.admin;
    if ((await this.failures.count(account)) >= maxFailedSignInsPerAccount || (await this.failures.count(address)) >= maxFailedSignInsPerIp) {
      throw new TooManySignInAttempts();
    }
    const user = await this.findByLogin(String(login ?? ''));
    const passwordMatches = await this.passwords.verify(user?.passwordHash, String(password ?? ''));
    if (!user || !passwordMatches || user.role !== 'admin' || !user.isActive) {
      await Promise.all([this.failures.add(account), this.failures.add(address)]);
      await this.audit.recordBestEffort({ type: 'admin.sign_in_failed', targetId: user?.id ?? null, ip, details: { login: String(login ?? '').slice(0, 254) } });
      return null;
    }
    await this.failures.clear(account);
    await this.audit.record({ type: 'admin.signed_in', actorId: user.id, targetId: user.id, ip });
    return { id: user.id, email: user.email ?? user.username, title: user.username, role: user.role };
  }

  /**
   * Checked before every panel action: a session outlives nothing. An admin who has been blocked
   * or demoted since signing in is refused at once, not when the session expires.
   */
  async isStillAdmin(currentAdmin: { id?: unknown } | undefined): Promise<boolean> {
    const id = typeof currentAdmin?.id === 'string' ? currentAdmin.id : undefined;
    const user = id ? await this.dataSource.getRepository(User).findOneBy({ id }) : null;
    return !!user && user.isActive && user.role === 'admin';
  }

  private findByLogin(login: string): Promise<User | null> {
    const value = login.trim().toLowerCase();
    return this.dataSource
      .getRepository(User)
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where(value.includes('@') ? 'u.email = :value' : 'u.username = :value', { value })
      .getOne();
  }
}
