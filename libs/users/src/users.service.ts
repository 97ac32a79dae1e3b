import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { DomainError, uniqueViolation } from '#common';
import { AppConfig } from '#config';
import { RedisConnection } from '#redis';
import type { Identifier } from './identifier.js';
import { User } from './user.entity.js';

/** While present, nobody caches the row: it changed moments ago (see {@link UsersService.update}). */
const CHANGED = 'changed';
const cacheKey = (id: string) => `user:{${id}}`;

@Injectable()
export class UsersService {
  private readonly users: Repository<User>;
  private readonly cacheSeconds: number;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(AppConfig) config: AppConfig,
    @Optional() @Inject(RedisConnection) private readonly redis: RedisConnection | null,
  ) {
    this.users = dataSource.getRepository(User);
    this.cacheSeconds = redis ? config.users.cacheSeconds : 0;
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /**
   * The row an access token is checked against, on every authenticated request: from Redis
   * (`user:{id}`, USER_CACHE_SECONDS) when it is there, so most requests cost one GET instead of a
   * Postgres query. Redis unreachable: Postgres answers, and nothing is cached.
   */
  async findForAccessToken(id: string): Promise<User | null> {
    if (!this.cacheSeconds) return this.findById(id);
    const cached = await this.redis!.run((client) => client.get(cacheKey(id))).catch(() => undefined);
    if (cached && cached !== CHANGED) return reviveUser(cached);
    const user = await this.findById(id);
    // NX: a change that happened while this row was being read has left its marker; keep it.
    if (user && cached === null) await this.redis!.run((client) => client.set(cacheKey(id), JSON.stringify(user), { EX: this.cacheSeconds, NX: true })).catch(() => undefined);
    return user;
  }

  /**
   * Every change to a user row goes through here (or {@link bumpSessionVersion}), in the caller's
   * transaction: the update, then the cached row replaced by a marker for USER_CACHE_SECONDS, so
   * neither this instance nor any other caches the row again until the change is long committed, not
   * even a read that raced it. Fails (503) when Redis is unreachable, and with it the change, so a
   * block can never leave a stale row behind.
   */
  async update(id: string, changes: Partial<Pick<User, 'username' | 'role' | 'isActive' | 'passwordHash' | 'lastLoginAt'>>, manager: EntityManager): Promise<void> {
    await manager.getRepository(User).update({ id }, changes);
    await this.forget(id);
  }

  private async forget(id: string): Promise<void> {
    if (this.cacheSeconds) await this.redis!.run((client) => client.set(cacheKey(id), CHANGED, { EX: this.cacheSeconds }));
  }

  /** Logout everywhere: every access token issued before now carries an older `sv` and is refused. */
  async bumpSessionVersion(id: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(User).increment({ id }, 'sessionVersion', 1);
    await this.forget(id);
  }

  /**
   * Asked by every otp/request. Plain SQL: TypeORM's existsBy builds a query with find options each
   * time, which was 7 % of that request's CPU for a statement that never changes.
   */
  async existsByIdentifier(identifier: Identifier): Promise<boolean> {
    const column = identifier.kind === 'email' ? 'email' : 'phone';
    const rows = (await this.users.query(`SELECT 1 FROM users WHERE ${column} = $1 LIMIT 1`, [identifier.value])) as unknown[];
    return rows.length > 0;
  }

  async isUsernameTaken(username: string): Promise<boolean> {
    const found = await this.users
      .createQueryBuilder('u')
      .select('1')
      .where('lower(u.username) = lower(:username)', { username })
      .limit(1)
      .getRawOne();
    return found !== undefined;
  }

  /** Creates the account; a lost race on username or identifier becomes a 409, never a 500. */
  async create(identifier: Identifier, username: string, manager: EntityManager): Promise<User> {
    const repository = manager.getRepository(User);
    try {
      const user = repository.create({ username, email: null, phone: null, ...whereIdentifier(identifier) });
      return await repository.save(user);
    } catch (error) {
      const constraint = uniqueViolation(error);
      if (constraint === 'users_username_key') throw new DomainError('USERNAME_TAKEN', 'That username is taken.');
      if (constraint) throw new DomainError('ACCOUNT_EXISTS', 'An account with this identifier already exists.');
      throw error;
    }
  }

  /**
   * Sign-in: stamps last_login_at on the account with this identifier and answers its row as it is
   * now, in one statement (UPDATE … RETURNING, not a read and then a write). The caller refuses a
   * blocked account by throwing, which rolls the stamp back with its transaction.
   */
  async recordLogin(identifier: Identifier, at: Date, manager: EntityManager): Promise<User | null> {
    const metadata = manager.connection.getMetadata(User);
    const selectable = metadata.columns.filter((column) => column.isSelect);
    const { raw } = await manager
      .createQueryBuilder()
      .update(User)
      .set({ lastLoginAt: at })
      .where(whereIdentifier(identifier))
      .returning(selectable.map((column) => column.propertyPath))
      .execute();
    const row = (raw as Record<string, unknown>[])[0];
    if (!row) return null;
    const user = new User();
    for (const column of selectable) column.setEntityValue(user, manager.connection.driver.prepareHydratedValue(row[column.databaseName], column));
    if (user.isActive) await this.forget(user.id);
    return user;
  }
}

function reviveUser(json: string): User {
  const row = JSON.parse(json) as Record<string, unknown>;
  const date = (value: unknown) => (typeof value === 'string' ? new Date(value) : null);
  return Object.assign(new User(), row, { lastLoginAt: date(row.lastLoginAt), createdAt: date(row.createdAt), updatedAt: date(row.updatedAt) });
}

const whereIdentifier = (identifier: Identifier) => (identifier.kind === 'email' ? { email: identifier.value } : { phone: identifier.value });
