import type { Cache } from 'cache-manager';
import { caching } from 'cache-manager';
import session from 'express-session';
import { ExpiringMap } from '#common';
import type { RedisConnection } from '#redis';

/** Signed-in admins the embedded default keeps at most (one process; the oldest go first). */
const MAX_IN_PROCESS_SESSIONS = 10_000;

/**
 * The admin panel's session store, on cache-manager: in Redis through redis-yet's store on the
 * service's own connection (shared by every instance, with the connection's time bound, its 503
 * while Redis is down and its routing on a Redis Cluster, which connect-redis cannot drive), or on
 * the embedded default in cache-manager's memory store, which forgets expired sessions and holds
 * a bounded number.
 */
export async function adminSessionStore(redis: RedisConnection | null, ttlSeconds: number): Promise<session.Store> {
  if (redis) {
    // PEXPIRE touches only a key that exists: a signed-out session stays gone.
    const extend = (key: string, ttlMs: number) => redis.run((client) => client.pExpire(key, ttlMs));
    return new CacheSessionStore((work) => redis.withCache(work), ttlSeconds, extend);
  }
  const memory = await caching('memory', { ttl: ttlSeconds * 1000, max: MAX_IN_PROCESS_SESSIONS });
  return new CacheSessionStore((work) => work(memory), ttlSeconds);
}

type UseCache = <T>(work: (cache: Cache) => Promise<T>) => Promise<T>;

class CacheSessionStore extends session.Store {
  /**
   * Sessions signed out here, for as long as they could have lived: a request of that admin still
   * under way at sign-out (the panel's own API calls) ends by saving or touching its copy of the
   * session, which must not bring it back.
   */
  private readonly ended = new ExpiringMap<true>(MAX_IN_PROCESS_SESSIONS);

  constructor(
    private readonly use: UseCache,
    private readonly ttlSeconds: number,
    /** Extends a stored session's lifetime, never storing one that is gone. */
    private readonly extend?: (key: string, ttlMs: number) => Promise<unknown>,
  ) {
    super();
  }

  get(id: string, callback: (error: unknown, data?: session.SessionData | null) => void): void {
    this.use((cache) => cache.get<session.SessionData>(sessionKey(id))).then(
      (data) => callback(null, data ?? null),
      (error: unknown) => callback(error),
    );
  }

  set(id: string, data: session.SessionData, callback?: (error?: unknown) => void): void {
    if (this.ended.get(id)) return callback?.();
    settle(
      this.use((cache) => cache.set(sessionKey(id), data, this.ttlMs)),
      callback,
    );
  }

  destroy(id: string, callback?: (error?: unknown) => void): void {
    this.ended.set(id, true, this.ttlMs);
    settle(
      this.use((cache) => cache.del(sessionKey(id))),
      callback,
    );
  }

  /** rolling: every request of a signed-in admin starts the lifetime again, of a session still stored. */
  override touch(id: string, data: session.SessionData, callback?: (error?: unknown) => void): void {
    if (this.ended.get(id)) return callback?.();
    const key = sessionKey(id);
    const extended = this.extend
      ? this.extend(key, this.ttlMs)
      : // In process: read, then write back only what is still there and was not signed out meanwhile.
        this.use(async (cache) => {
          if ((await cache.get(key)) !== undefined && !this.ended.get(id)) await cache.set(key, data, this.ttlMs);
        });
    settle(extended, callback);
  }

  private get ttlMs(): number {
    return this.ttlSeconds * 1000;
  }
}

const sessionKey = (id: string) => `admin:session:${id}`;

/** express-session's callback style: nothing on success, the error otherwise. */
const settle = (work: Promise<unknown>, callback?: (error?: unknown) => void) =>
  void work.then(
    () => callback?.(),
    (error: unknown) => callback?.(error),
  );
