import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { DataSource, EntityManager, Repository } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import { AtomicWrite, DomainError, newestFirstPage, uniqueViolation, type Page, type PageRequest } from '#common';
import { AppConfig } from '#config';
import { KeyValueStore } from '#redis';
import type { Identifier } from './identifier.js';
import { normalizeUsername } from './username.js';
import { User } from './user.entity.js';

/** While present, nobody caches the row: it changed moments ago (see {@link UsersService.update}). */
const CHANGED = 'changed';
const UNREACHABLE = Symbol('cache unreachable');
const cacheKey = (id: string) => `user:{${id}}`;

export interface UserListQuery extends PageRequest {
  /** Part of a username, email or phone number. */
  search?: string;
  role?: User['role'];
  active?: boolean;
}

@Injectable()
export class UsersService {
  private readonly users: Repository<User>;
  /** 0: no cache (the in-process store, which another process, the CLI, could not invalidate). */
  private readonly cacheMs: number;
  private selectableColumns?: ColumnMetadata[];
  private returningList?: string;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(AppConfig) config: AppConfig,
    @Inject(KeyValueStore) private readonly kv: KeyValueStore,
  ) {
    this.users = dataSource.getRepository(User);
    this.cacheMs = kv.shared ? config.users.cacheSeconds * 1000 : 0;
  }

  findById(id: string, manager: EntityManager = this.users.manager): Promise<User | null> {
    return this.findOneWhere('id', id, manager);
  }

  findByUsername(username: string, manager: EntityManager = this.users.manager): Promise<User | null> {
    return this.findOneWhere('username', normalizeUsername(username), manager);
  }

  /** The account with this email or phone, if any. */
  findByIdentifier(identifier: Identifier): Promise<User | null> {
    return this.findOneWhere(identifier.kind, identifier.value);
  }

  /** The row with its password hash (which no other read selects), by id or by panel login. */
  findWithPasswordHash(where: { id: string } | { login: string }): Promise<User | null> {
    const query = this.users.createQueryBuilder('u').addSelect('u.passwordHash');
    if ('id' in where) return query.where('u.id = :id', { id: where.id }).getOne();
    return query.where(where.login.includes('@') ? 'u.email = :login' : 'u.username = :login', { login: where.login }).getOne();
  }

  /** Operators' list: newest first, a page at a time (see newestFirstPage). */
  list(query: UserListQuery): Promise<Page<User>> {
    const builder = this.users.createQueryBuilder('u');
    if (query.search) {
      const term = `%${query.search.replace(/[%_\\]/g, '\\$&')}%`;
      builder.andWhere('(u.username ILIKE :term OR u.email ILIKE :term OR u.phone ILIKE :term)', { term });
    }
    if (query.role) builder.andWhere('u.role = :role', { role: query.role });
    if (query.active !== undefined) builder.andWhere('u.is_active = :active', { active: query.active });
    return newestFirstPage(builder, query);
  }

  /** Usernames by id, for naming the actors of audit events (ids with no account left are absent). */
  async usernamesOf(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = (await this.users.query('SELECT id, username FROM users WHERE id = ANY($1::uuid[])', [ids])) as {
      id: string;
      username: string;
    }[];
    return new Map(rows.map((row) => [row.id, row.username]));
  }

  /** Whether any account has the admin role. */
  async adminExists(): Promise<boolean> {
    const rows = (await this.users.query(`SELECT 1 FROM users WHERE role = 'admin' LIMIT 1`)) as unknown[];
    return rows.length > 0;
  }

  async counts(): Promise<{ users: number; blockedUsers: number }> {
    const [row] = (await this.users.query(
      `SELECT count(*)::int AS "users", count(*) FILTER (WHERE NOT is_active)::int AS "blockedUsers" FROM users`,
    )) as { users: number; blockedUsers: number }[];
    return row;
  }

  /**
   * The row an access token is checked against, on every authenticated request: from Redis
   * (`user:{id}`, USER_CACHE_SECONDS) when it is there, so most requests cost one GET instead of a
   * Postgres query. Redis unreachable: Postgres answers, and nothing is cached.
   */
  async findForAccessToken(id: string): Promise<User | null> {
    if (!this.cacheMs) return this.findById(id);
    const cached = await this.kv.get(cacheKey(id)).catch(() => UNREACHABLE);
    if (typeof cached === 'string' && cached !== CHANGED) return reviveUser(cached);
    const user = await this.findById(id);
    // Only if absent: a change that happened while this row was being read has left its marker; keep it.
    if (user && cached === undefined)
      await this.kv.set(cacheKey(id), JSON.stringify(user), this.cacheMs, { onlyIfAbsent: true }).catch(() => undefined);
    return user;
  }

  /**
   * Every change to a user row goes through here (or {@link bumpSessionVersion}), in the caller's
   * transaction: the update, then the cached row replaced by a marker for USER_CACHE_SECONDS, so
   * neither this instance nor any other caches the row again until the change is long committed, not
   * even a read that raced it. Fails (503) when Redis is unreachable, and with it the change, so a
   * block can never leave a stale row behind.
   */
  async update(
    id: string,
    changes: Partial<Pick<User, 'username' | 'email' | 'phone' | 'role' | 'isActive' | 'passwordHash' | 'lastLoginAt'>>,
    manager: EntityManager,
  ): Promise<void> {
    try {
      await manager.getRepository(User).update({ id }, changes);
    } catch (error) {
      throw asConflict(error);
    }
    await this.forget(id);
  }

  private async forget(id: string): Promise<void> {
    if (this.cacheMs) await this.kv.set(cacheKey(id), CHANGED, this.cacheMs);
  }

  /** Removes the row (its refresh tokens go with it, ON DELETE CASCADE) and any cached copy. */
  async delete(id: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(User).delete({ id });
    await this.forget(id);
  }

  /** Logout everywhere: every access token issued before now carries an older `sv` and is refused. */
  async bumpSessionVersion(id: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(User).increment({ id }, 'sessionVersion', 1);
    await this.forget(id);
  }

  /** Whether an account has this email or phone: asked by every otp/request (see {@link accountsExist}). */
  existsByIdentifier(identifier: Identifier): Promise<boolean> {
    return this.accountsExist.load(identifier);
  }

  /**
   * The existence checks asked for in one turn of the event loop, answered by one statement: under
   * load, the round trip to Postgres (a write that wakes a backend) was the largest single cost of an
   * otp/request, and requests arrive in bursts (the replies of one read from Redis resume several).
   * Nothing is cached: each check sees the rows committed when its statement runs. Plain SQL, one
   * text for every batch, so it stays one prepared statement.
   */
  private readonly accountsExist = new DataLoader<Identifier, boolean>(
    async (identifiers) => {
      const rows = (await this.users.query('SELECT email, phone FROM users WHERE email = ANY($1::text[]) OR phone = ANY($2::text[])', [
        identifiers.filter((i) => i.kind === 'email').map((i) => i.value),
        identifiers.filter((i) => i.kind === 'phone').map((i) => i.value),
      ])) as Pick<User, 'email' | 'phone'>[];
      const emails = new Set(rows.map((row) => row.email));
      const phones = new Set(rows.map((row) => row.phone));
      return identifiers.map((i) => (i.kind === 'email' ? emails : phones).has(i.value));
    },
    { cache: false, maxBatchSize: 500 },
  );

  /**
   * A new account as the `account` part of `write`; its id is chosen here, so the other parts (its
   * audit row, its webhook events, its first session) can name it. Run the write with {@link runForAccount}.
   */
  createIn(
    write: AtomicWrite,
    identifier: Identifier,
    username: string,
    fields: Partial<Pick<User, 'role' | 'passwordHash' | 'phone'>> = {},
  ): Pick<User, 'id' | 'username' | 'email' | 'phone'> {
    const account = {
      id: randomUUID(),
      username: normalizeUsername(username),
      email: null,
      phone: null,
      ...fields,
      ...whereIdentifier(identifier),
    };
    const v = (value: unknown, type: string) => write.value(value, type);
    write.add(
      `INSERT INTO users (id, email, phone, username, role, password_hash)
       SELECT ${v(account.id, 'uuid')}, ${v(account.email, 'varchar')}, ${v(account.phone, 'varchar')}, ${v(account.username, 'varchar')},
              ${v(account.role ?? 'user', 'varchar')}, ${v(account.passwordHash ?? null, 'text')}
       WHERE ${write.condition} RETURNING ${this.returning}`,
      'account',
    );
    return { id: account.id, username: account.username, email: account.email, phone: account.phone };
  }

  /**
   * Sign-in's stamp as the `account` part of `write`: last_login_at on the account as `read` found
   * it, if it is still active and its identifiers and username unchanged (what the events about it
   * quote), and the row as it is now. The other parts then write only if it did. Its cached copy is
   * replaced by the marker first, as by {@link update}.
   */
  async recordLoginIn(write: AtomicWrite, read: User, at: Date): Promise<void> {
    await this.forget(read.id);
    write.add(
      `UPDATE users SET last_login_at = ${write.value(at, 'timestamptz')}, updated_at = now()
       WHERE id = ${write.value(read.id, 'uuid')} AND is_active AND username = ${write.value(read.username, 'varchar')}
         AND email IS NOT DISTINCT FROM ${write.value(read.email, 'varchar')} AND phone IS NOT DISTINCT FROM ${write.value(read.phone, 'varchar')}
       RETURNING ${this.returning}`,
      'account',
    );
    write.onlyIf('account');
  }

  /**
   * Runs a write holding an `account` part; answers the account as the statement left it (null when
   * the part wrote nothing). A lost race on username or identifier is a 409, never a 500.
   */
  async runForAccount(write: AtomicWrite, manager: EntityManager = this.users.manager): Promise<User | null> {
    const rows = await write.run<Record<string, unknown>>(manager, 'SELECT * FROM account').catch((error: unknown) => {
      throw asConflict(error);
    });
    return rows[0] ? this.hydrate(rows[0], manager) : null;
  }

  /**
   * One row by a unique column in plain SQL: the reads of every /me and sign-in skip TypeORM's
   * query builder, which is built anew for each call.
   */
  private async findOneWhere(
    column: 'id' | 'username' | 'email' | 'phone',
    value: string,
    manager: EntityManager = this.users.manager,
  ): Promise<User | null> {
    const rows = (await manager.query(`SELECT ${this.returning} FROM users WHERE ${column} = $1 LIMIT 1`, [value])) as Record<
      string,
      unknown
    >[];
    return rows[0] ? this.hydrate(rows[0], manager) : null;
  }

  private hydrate(row: Record<string, unknown>, manager: EntityManager): User {
    const user = new User();
    for (const column of this.selectable)
      column.setEntityValue(user, manager.connection.driver.prepareHydratedValue(row[column.databaseName], column));
    return user;
  }

  /** The columns every read selects (not the password hash), worked out once. */
  private get selectable(): ColumnMetadata[] {
    return (this.selectableColumns ??= this.users.metadata.columns.filter((column) => column.isSelect));
  }

  private get returning(): string {
    return (this.returningList ??= this.selectable.map((column) => column.databaseName).join(', '));
  }
}

function reviveUser(json: string): User {
  const row = JSON.parse(json) as Record<string, unknown>;
  return Object.assign(new User(), row, {
    lastLoginAt: revivedDate(row.lastLoginAt),
    createdAt: revivedDate(row.createdAt),
    updatedAt: revivedDate(row.updatedAt),
  });
}

const revivedDate = (value: unknown) => (typeof value === 'string' ? new Date(value) : null);

/** The unique indexes decide whether a username or identifier is free: a lost race is a 409, never a 500. */
function asConflict(error: unknown): unknown {
  const constraint = uniqueViolation(error);
  if (constraint === 'users_username_key') return new DomainError('USERNAME_TAKEN', 'That username is taken.');
  if (constraint) return new DomainError('ACCOUNT_EXISTS', 'An account with this identifier already exists.');
  return error;
}

const whereIdentifier = (identifier: Identifier) =>
  identifier.kind === 'email' ? { email: identifier.value } : { phone: identifier.value };
