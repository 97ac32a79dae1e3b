import { Inject, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService, type Actor, type AuditEvent } from '#audit';
import { SessionsService, TokensService, type SessionView } from '#auth-tokens';
import { AtomicWrite, DomainError, type Page } from '#common';
import { AppConfig } from '#config';
import { AccountEvents } from '#events';
import {
  PasswordHasher,
  USERNAME_PATTERN,
  USERNAME_RULE,
  User,
  UsersService,
  normalizeIdentifier,
  normalizeUsername,
  type Identifier,
  type UserListQuery,
} from '#users';

/** An account as the caller names it: the REST API by id, the CLI by username, the panel by either. */
export type UserRef = { id: string } | { username: string };

export interface AccountOverview {
  user: User;
  sessions: SessionView[];
  /** Newest first; `actorName` is the acting account's username (null for the CLI, the system or a deleted account). */
  events: (Pick<AuditEvent, 'id' | 'type' | 'actorId' | 'targetId' | 'ip' | 'details' | 'createdAt'> & { actorName: string | null })[];
}

// Fields left out, or null (class-validator's @IsOptional lets a JSON null through), change nothing.
export interface AccountChanges {
  username?: string | null;
  role?: string | null;
  isActive?: boolean | null;
}

/**
 * Every rule about an account once it exists, for the admin REST API, the CLI and the admin panel
 * alike: create, edit, block and unblock, role, password, ending sessions, tokens for Swagger.
 * Each change runs in one transaction with its audit row and webhook events. The User table itself
 * is read and written only by UsersService.
 */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(TokensService) private readonly tokens: TokensService,
    @Inject(SessionsService) private readonly sessions: SessionsService,
    @Inject(AccountEvents) private readonly events: AccountEvents,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  async find(ref: UserRef, manager: EntityManager = this.dataSource.manager): Promise<User> {
    const user = 'id' in ref ? await this.users.findById(ref.id, manager) : await this.users.findByUsername(ref.username, manager);
    if (!user) throw new DomainError('USER_NOT_FOUND', 'id' in ref ? 'No such user.' : `No user named "${ref.username}".`);
    return user;
  }

  list(query: UserListQuery): Promise<Page<User>> {
    return this.users.list(query);
  }

  adminExists(): Promise<boolean> {
    return this.users.adminExists();
  }

  /**
   * A new account made by an operator, with an email and/or a phone number. A taken username or
   * identifier is a 409 decided by the unique indexes.
   */
  async create(
    input: { username: string; email?: string | null; phone?: string | null; role?: string | null; password?: string },
    actor: Actor,
  ): Promise<User> {
    const username = validUsername(input.username);
    const role = validRole(input.role ?? 'user');
    const email = input.email == null ? undefined : normalizeIdentifier(input.email);
    if (email && email.kind !== 'email') throw new DomainError('IDENTIFIER_INVALID', 'email must be an email address.');
    const phone = input.phone == null ? undefined : normalizeIdentifier(input.phone, this.config.otp.phoneDefaultCountry);
    if (phone && phone.kind !== 'phone')
      throw new DomainError('IDENTIFIER_INVALID', 'phone must be a phone number in international format.');
    const primary = email ?? phone;
    if (!primary) throw new DomainError('VALIDATION_FAILED', 'an email address or a phone number is required');
    if (input.password !== undefined) this.assertStrongEnough(input.password);
    const passwordHash = input.password === undefined ? null : await this.passwords.hash(input.password);
    const write = new AtomicWrite();
    const account = this.users.createIn(write, primary, username, { role, passwordHash, phone: phone?.value ?? null });
    this.events.recordIn(write, 'user.created', account, actor, { role });
    return (await this.users.runForAccount(write))!;
  }

  /** Creates an admin unless a user by that name exists (then nothing changes): the CLI's create-admin. */
  async createAdmin(
    username: string,
    email: string,
    password: string | undefined,
    actor: Actor,
  ): Promise<{ user: User; created: boolean }> {
    validUsername(username);
    if (normalizeIdentifier(email).kind !== 'email') throw new DomainError('IDENTIFIER_INVALID', '--email must be an email address.');
    const existing = await this.users.findByUsername(username);
    if (existing) return { user: existing, created: false };
    return { user: await this.create({ username, email, password, role: 'admin' }, actor), created: true };
  }

  /**
   * ADMIN_BOOTSTRAP_*: creates that admin, with its password, when no admin exists yet, so a first
   * start has a way in. Answers whether it did. Several instances starting at once race to the
   * unique username; the losers find it taken and do nothing.
   */
  async bootstrapAdmin(bootstrap: { username: string; email: string; password: string }): Promise<boolean> {
    if (await this.users.adminExists()) return false;
    try {
      return (await this.createAdmin(bootstrap.username, bootstrap.email, bootstrap.password, { userId: null, via: 'bootstrap' })).created;
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'USERNAME_TAKEN' || error.code === 'ACCOUNT_EXISTS')) return false;
      throw error;
    }
  }

  /** Sets (or resets) the password the admin panel checks; optionally grants the admin role. */
  async setPassword(ref: UserRef, password: string, actor: Actor, options: { grantAdmin?: boolean } = {}): Promise<User> {
    this.assertStrongEnough(password);
    const passwordHash = await this.passwords.hash(password);
    return this.dataSource.transaction(async (manager) => {
      const user = await this.find(ref, manager);
      const changes: Partial<User> = { passwordHash, ...(options.grantAdmin ? { role: 'admin' as const } : {}) };
      // The panel's credential stamp changes with the hash: sessions opened with the old one end.
      await this.users.update(user.id, changes, manager);
      await this.events.record(manager, 'admin.password_set', user, actor, { grantAdmin: !!options.grantAdmin });
      return Object.assign(user, changes);
    });
  }

  /**
   * The one path for username, role and the active flag, whoever asks: a valid username that the
   * unique index finds free; blocking ends every session and access token in the same commit; a
   * role change ends every access token carrying the old role. Audited with the fields that changed;
   * a change to nothing changes nothing.
   */
  async update(ref: UserRef, changes: AccountChanges, actor: Actor): Promise<User> {
    const username = changes.username == null ? undefined : validUsername(changes.username);
    const role = changes.role == null ? undefined : validRole(changes.role);
    const isActive = changes.isActive ?? undefined;
    return this.dataSource.transaction(async (manager) => {
      const user = await this.find(ref, manager);
      const next: Partial<User> = {};
      if (username !== undefined && username !== user.username) next.username = username;
      if (role !== undefined && role !== user.role) next.role = role;
      if (isActive !== undefined && isActive !== user.isActive) next.isActive = isActive;
      if (!Object.keys(next).length) return user;
      if (actor.userId === user.id && (next.isActive === false || next.role === 'user'))
        throw new DomainError('FORBIDDEN', 'You cannot block or demote yourself; ask another admin.');
      await this.users.update(user.id, next, manager);
      if (next.isActive === false) await this.tokens.revokeAllSessions(user.id, 'blocked', manager);
      else if (next.role) await this.users.bumpSessionVersion(user.id, manager);
      const type = next.isActive === false ? 'user.blocked' : next.isActive === true ? 'user.unblocked' : 'user.updated';
      await this.events.record(manager, type, Object.assign(user, next), actor, { changed: Object.keys(next).join(',') });
      return user;
    });
  }

  /**
   * Sets the account's email or phone (whichever kind the identifier is) to a new, proven one, and
   * answers the one it replaces (null when the account had none of that kind). The unique index
   * decides whether another account holds it: 409 ACCOUNT_EXISTS.
   */
  async changeIdentifier(ref: UserRef, identifier: Identifier, actor: Actor): Promise<{ user: User; replaced: Identifier | null }> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.find(ref, manager);
      const current = identifier.kind === 'email' ? user.email : user.phone;
      if (current === identifier.value) return { user, replaced: null };
      const change = identifier.kind === 'email' ? { email: identifier.value } : { phone: identifier.value };
      await this.users.update(user.id, change, manager);
      await this.events.record(manager, 'user.identifier_changed', user, actor, { kind: identifier.kind, added: current === null });
      return { user: Object.assign(user, change), replaced: current === null ? null : { kind: identifier.kind, value: current } };
    });
  }

  /** Blocks the account and ends every session and access token it has, in one commit. */
  block(ref: UserRef, actor: Actor): Promise<User> {
    return this.update(ref, { isActive: false }, actor);
  }

  unblock(ref: UserRef, actor: Actor): Promise<User> {
    return this.update(ref, { isActive: true }, actor);
  }

  /**
   * Deletes the account: every session ends, the row goes (its refresh tokens with it), and the
   * identifier and username are free to register again. Audit rows keep the id, which now names
   * nobody; the `user.deleted` webhook is the last event about it.
   */
  async delete(ref: UserRef, actor: Actor): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const user = await this.find(ref, manager);
      if (actor.via !== 'self' && actor.userId === user.id)
        throw new DomainError('FORBIDDEN', 'You cannot delete your own account as an admin; ask another admin.');
      await this.users.delete(user.id, manager);
      await this.events.record(manager, 'user.deleted', user, actor, {});
    });
  }

  /**
   * What an operator wants on one page about an account: the row, where it is signed in, and the
   * last events about it with their actors named.
   */
  async overview(ref: UserRef, eventLimit = 20): Promise<AccountOverview> {
    const user = await this.find(ref);
    const [sessions, events] = await Promise.all([
      this.sessions.listLive(user.id),
      this.audit.list({ targetId: user.id, limit: eventLimit }),
    ]);
    const actorIds = [...new Set(events.items.map((event) => event.actorId).filter((id): id is string => id !== null))];
    const names = await this.users.usernamesOf(actorIds);
    return {
      user,
      sessions,
      events: events.items.map(({ id, type, actorId, targetId, ip, details, createdAt }) => ({
        id,
        type,
        actorId,
        targetId,
        ip,
        details,
        createdAt,
        actorName: actorId ? (names.get(actorId) ?? null) : null,
      })),
    };
  }

  /** The account's live sessions, most recently used first. */
  async listSessions(ref: UserRef): Promise<SessionView[]> {
    return this.sessions.listLive((await this.find(ref)).id);
  }

  /**
   * Ends one session (its refresh-token family): its refresh token dies at once, its access tokens
   * within their lifetime. With `ownedBy`, a session of anyone else is answered as not found.
   */
  async revokeSession(sessionId: string, actor: Actor, options: { ownedBy?: string } = {}): Promise<void> {
    // Anything but a uuid names no session (and would reach Postgres as an invalid value).
    if (!isUUID(sessionId)) throw new DomainError('NOT_FOUND', 'No such session.');
    await this.dataSource.transaction(async (manager) => {
      const session = await this.sessions.findLive(sessionId, manager);
      if (!session || (options.ownedBy !== undefined && session.userId !== options.ownedBy))
        throw new DomainError('NOT_FOUND', 'No such session.');
      await this.tokens.revokeFamily(session.id, session.userId, actor.via === 'self' ? 'logout' : 'admin', manager);
      await this.events.record(manager, 'sessions.revoked', { id: session.userId }, actor, { family: session.id });
    });
  }

  async revokeAllSessions(ref: UserRef, actor: Actor): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.find(ref, manager);
      await this.tokens.revokeAllSessions(user.id, 'admin', manager);
      await this.events.record(manager, 'sessions.revoked', user, actor, {});
      return user;
    });
  }

  /** An access token for Swagger's Authorize button; only for admins unless `anyUser`. */
  async issueAccessToken(ref: UserRef, ttlSeconds: number, actor: Actor, options: { anyUser?: boolean } = {}): Promise<string> {
    const user = await this.find(ref);
    if (user.role !== 'admin' && !options.anyUser)
      throw new DomainError('FORBIDDEN', `"${user.username}" is not an admin (pass --any-user to mint a token for any user).`);
    if (!user.isActive) throw new DomainError('USER_BLOCKED', `"${user.username}" is blocked.`);
    const token = await this.tokens.issueAccessToken(user, ttlSeconds);
    await this.events.record(this.dataSource.manager, 'admin.token_issued', user, actor, { ttlSeconds });
    return token;
  }

  private assertStrongEnough(password: string): void {
    const min = this.config.admin.passwordMinLength;
    if ([...password].length < min) throw new DomainError('PASSWORD_TOO_WEAK', `The password must be at least ${min} characters long.`);
    if ([...password].length > 256) throw new DomainError('PASSWORD_TOO_WEAK', 'The password must be at most 256 characters long.');
  }
}

function validUsername(raw: string): string {
  const username = normalizeUsername(raw);
  if (!USERNAME_PATTERN.test(username)) throw new DomainError('VALIDATION_FAILED', USERNAME_RULE);
  return username;
}

function validRole(role: string): User['role'] {
  if (role !== 'user' && role !== 'admin') throw new DomainError('VALIDATION_FAILED', 'role must be user or admin');
  return role;
}
