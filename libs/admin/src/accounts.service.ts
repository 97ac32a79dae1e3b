import { Inject, Injectable } from '@nestjs/common';
import { DataSource, ILike, type EntityManager } from 'typeorm';
import { AuditService } from '#audit';
import { RefreshToken, TokensService } from '#auth-tokens';
import { DomainError } from '#common';
import { AppConfig } from '#config';
import { WebhooksService } from '#webhooks';
import { PasswordHasher, USERNAME_PATTERN, USERNAME_RULE, User, UsersService, normalizeIdentifier } from '#users';

/** Who is acting: an admin in the panel, or the CLI (no user). */
export interface Actor {
  userId: string | null;
  via: 'cli' | 'admin-panel' | 'bootstrap';
  ip?: string;
}

/**
 * What operators do to accounts, from the CLI or the admin panel: passwords, the admin role,
 * blocking, ending sessions, tokens for Swagger. Every change is audited in its own transaction.
 */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
  ) {}

  async findByUsername(username: string, manager: EntityManager = this.dataSource.manager): Promise<User> {
    const user = await manager.getRepository(User).findOneBy({ username: username.trim().toLowerCase() });
    if (!user) throw new DomainError('USER_NOT_FOUND', `No user named "${username}".`);
    return user;
  }

  list(options: { search?: string; limit?: number } = {}): Promise<User[]> {
    const term = options.search ? `%${options.search.replace(/[%_\\]/g, '\\$&')}%` : undefined;
    return this.dataSource.getRepository(User).find({
      where: term ? [{ username: ILike(term) }, { email: ILike(term) }, { phone: ILike(term) }] : {},
      order: { createdAt: 'DESC' },
      take: options.limit ?? 50,
    });
  }

  /** Sets (or resets) the password the admin panel checks; optionally grants the admin role. */
  async setPassword(username: string, password: string, actor: Actor, options: { grantAdmin?: boolean } = {}): Promise<User> {
    this.assertStrongEnough(password);
    const passwordHash = await this.passwords.hash(password);
    return this.dataSource.transaction(async (manager) => {
      const user = await this.findByUsername(username, manager);
      const changes: Partial<User> = { passwordHash, ...(options.grantAdmin ? { role: 'admin' as const } : {}) };
      await this.users.update(user.id, changes, manager);
      await this.audit.record({ type: 'admin.password_set', actorId: actor.userId, targetId: user.id, ip: actor.ip, details: { via: actor.via, grantAdmin: !!options.grantAdmin } }, manager);
      return Object.assign(user, changes);
    });
  }

  /** Whether any account has the admin role. */
  async adminExists(): Promise<boolean> {
    const rows = (await this.dataSource.query(`SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`)) as unknown[];
    return rows.length > 0;
  }

  /**
   * ADMIN_BOOTSTRAP_*: creates that admin, with its password, when no admin exists yet, so a first
   * start has a way in. Answers whether it did. Several instances starting at once race to the
   * unique username; the losers find it taken and do nothing.
   */
  async bootstrapAdmin(bootstrap: { username: string; email: string; password: string }): Promise<boolean> {
    if (await this.adminExists()) return false;
    try {
      return (await this.createAdmin(bootstrap.username, bootstrap.email, bootstrap.password, { userId: null, via: 'bootstrap' })).created;
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'USERNAME_TAKEN' || error.code === 'ACCOUNT_EXISTS')) return false;
      throw error;
    }
  }

  /** Creates an admin unless a user by that name exists (then nothing changes). */
  async createAdmin(username: string, email: string, password: string | undefined, actor: Actor): Promise<{ user: User; created: boolean }> {
    const name = username.trim().toLowerCase();
    if (!USERNAME_PATTERN.test(name)) throw new DomainError('VALIDATION_FAILED', USERNAME_RULE);
    if (password !== undefined) this.assertStrongEnough(password);
    const identifier = normalizeIdentifier(email);
    if (identifier.kind !== 'email') throw new DomainError('IDENTIFIER_INVALID', '--email must be an email address.');
    const existing = await this.dataSource.getRepository(User).findOneBy({ username: name });
    if (existing) return { user: existing, created: false };
    const passwordHash = password === undefined ? null : await this.passwords.hash(password);
    const user = await this.dataSource.transaction(async (manager) => {
      const created = await this.users.create(identifier, name, manager);
      await this.users.update(created.id, { role: 'admin', passwordHash }, manager);
      await this.audit.record({ type: 'user.updated', actorId: actor.userId, targetId: created.id, ip: actor.ip, details: { via: actor.via, change: 'created-admin' } }, manager);
      return Object.assign(created, { role: 'admin' as const });
    });
    return { user, created: true };
  }

  /**
   * An operator's edit of username, role and active flag, with the same rules as everywhere:
   * a valid, free username; blocking ends every session; a role change every access token. Audited with the fields that changed.
   */
  async update(id: string, changes: { username?: string; role?: string; isActive?: boolean }, actor: Actor): Promise<User> {
    const username = changes.username?.trim().toLowerCase();
    if (username !== undefined && !USERNAME_PATTERN.test(username)) throw new DomainError('VALIDATION_FAILED', USERNAME_RULE);
    if (changes.role !== undefined && changes.role !== 'user' && changes.role !== 'admin') throw new DomainError('VALIDATION_FAILED', 'role must be user or admin');
    return this.dataSource.transaction(async (manager) => {
      const user = await manager.getRepository(User).findOneBy({ id });
      if (!user) throw new DomainError('USER_NOT_FOUND', 'No such user.');
      const next: Partial<User> = {};
      if (username !== undefined && username !== user.username) next.username = username;
      if (changes.role !== undefined && changes.role !== user.role) next.role = changes.role as User['role'];
      if (changes.isActive !== undefined && changes.isActive !== user.isActive) next.isActive = changes.isActive;
      if (!Object.keys(next).length) return user;
      if (next.username && (await this.users.isUsernameTaken(next.username))) throw new DomainError('USERNAME_TAKEN', 'That username is taken.');
      await this.users.update(id, next, manager);
      if (next.isActive === false) await this.tokens.revokeAllSessions(id, 'blocked', manager);
      // A role change ends the access tokens and panel sessions that carry the old one.
      else if (next.role) await this.users.bumpSessionVersion(id, manager);
      const type = next.isActive === false ? 'user.blocked' : next.isActive === true ? 'user.unblocked' : 'user.updated';
      if (type !== 'user.updated') await this.webhooks.emit(type, { user_id: id, username: next.username ?? user.username, via: actor.via }, manager);
      await this.audit.record({ type, actorId: actor.userId, targetId: id, ip: actor.ip, details: { via: actor.via, changed: Object.keys(next).join(',') } }, manager);
      return Object.assign(user, next);
    });
  }

  /** Ends one session (its refresh-token family). */
  async revokeSession(refreshTokenId: string, actor: Actor): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const session = await manager.getRepository(RefreshToken).findOneBy({ id: refreshTokenId });
      if (!session) throw new DomainError('NOT_FOUND', 'No such session.');
      await this.tokens.revokeFamily(session.familyId, session.userId, 'admin', manager);
      await this.audit.record({ type: 'sessions.revoked', actorId: actor.userId, targetId: session.userId, ip: actor.ip, details: { via: actor.via, family: session.familyId } }, manager);
    });
  }

  /** Blocks the account and ends every session and access token it has, in one commit. */
  block(username: string, actor: Actor): Promise<User> {
    return this.setActive(username, false, actor);
  }

  unblock(username: string, actor: Actor): Promise<User> {
    return this.setActive(username, true, actor);
  }

  async revokeAllSessions(username: string, actor: Actor): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.findByUsername(username, manager);
      await this.tokens.revokeAllSessions(user.id, 'admin', manager);
      await this.audit.record({ type: 'sessions.revoked', actorId: actor.userId, targetId: user.id, ip: actor.ip, details: { via: actor.via } }, manager);
      return user;
    });
  }

  /** An access token for Swagger's Authorize button; only for admins unless `anyUser`. */
  async issueAccessToken(username: string, ttlSeconds: number, actor: Actor, options: { anyUser?: boolean } = {}): Promise<string> {
    const user = await this.findByUsername(username);
    if (user.role !== 'admin' && !options.anyUser) throw new DomainError('FORBIDDEN', `"${user.username}" is not an admin (pass --any-user to mint a token for any user).`);
    if (!user.isActive) throw new DomainError('USER_BLOCKED', `"${user.username}" is blocked.`);
    const token = await this.tokens.issueAccessToken(user, ttlSeconds);
    await this.audit.record({ type: 'admin.token_issued', actorId: actor.userId, targetId: user.id, ip: actor.ip, details: { via: actor.via, ttlSeconds } });
    return token;
  }

  private async setActive(username: string, isActive: boolean, actor: Actor): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.findByUsername(username, manager);
      await this.users.update(user.id, { isActive }, manager);
      if (!isActive) await this.tokens.revokeAllSessions(user.id, 'blocked', manager);
      await this.webhooks.emit(isActive ? 'user.unblocked' : 'user.blocked', { user_id: user.id, username: user.username, via: actor.via }, manager);
      await this.audit.record({ type: isActive ? 'user.unblocked' : 'user.blocked', actorId: actor.userId, targetId: user.id, ip: actor.ip, details: { via: actor.via } }, manager);
      return Object.assign(user, { isActive });
    });
  }

  private assertStrongEnough(password: string): void {
    const min = this.config.admin.passwordMinLength;
    if ([...password].length < min) throw new DomainError('PASSWORD_TOO_WEAK', `The password must be at least ${min} characters long.`);
    if ([...password].length > 256) throw new DomainError('PASSWORD_TOO_WEAK', 'The password must be at most 256 characters long.');
  }
}
