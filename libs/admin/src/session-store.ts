import type { Cache } from 'cache-manager';
import { caching } from 'cache-manager';
import session from 'express-session';
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
  if (redis) return new CacheSessionStore((work) => redis.withCache(work), ttlSeconds);
  const memory = await caching('memory', { ttl: ttlSeconds * 1000, max: MAX_IN_PROCESS_SESSIONS });
  return new CacheSessionStore((work) => work(memory), ttlSeconds);
}

type UseCache = <T>(work: (cache: Cache) => Promise<T>) => Promise<T>;

class CacheSessionStore extends session.Store {
  constructor(
    private readonly use: UseCache,
    private readonly ttlSeconds: number,
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
    settle(
      this.use((cache) => cache.set(sessionKey(id), data, this.ttlSeconds * 1000)),
      callback,
    );
  }

  destroy(id: string, callback?: (error?: unknown) => void): void {
    settle(
      this.use((cache) => cache.del(sessionKey(id))),
      callback,
    );
  }

  /** rolling: every request of a signed-in admin starts the lifetime again. */
  override touch(id: string, data: session.SessionData, callback?: (error?: unknown) => void): void {
    this.set(id, data, callback);
  }
}

const sessionKey = (id: string) => `admin:session:${id}`;

/** express-session's callback style: nothing on success, the error otherwise. */
const settle = (work: Promise<unknown>, callback?: (error?: unknown) => void) =>
  void work.then(
    () => callback?.(),
    (error: unknown) => callback?.(error),
  );
