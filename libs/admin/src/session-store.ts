import session from 'express-session';
import type { RedisConnection } from '#redis';

/**
 * The admin panel's session store: Redis on the real backend (shared by every instance), and on
 * the embedded default an in-process store that, unlike express-session's MemoryStore, forgets
 * expired sessions.
 */
export function adminSessionStore(redis: RedisConnection | null, ttlSeconds: number): session.Store {
  if (redis) return new RedisSessionStore(redis, ttlSeconds);
  return new InProcessSessionStore(ttlSeconds);
}

/**
 * Sessions in Redis through the service's own connection, so they get its time bound, its 503 when
 * Redis is down, and its routing on a Redis Cluster (connect-redis cannot drive a cluster client).
 */
class RedisSessionStore extends session.Store {
  constructor(
    private readonly redis: RedisConnection,
    private readonly ttlSeconds: number,
  ) {
    super();
  }

  get(id: string, callback: (error: unknown, data?: session.SessionData | null) => void): void {
    this.redis.run((client) => client.get(sessionKey(id))).then(
      (raw) => callback(null, raw ? (JSON.parse(raw) as session.SessionData) : null),
      (error: unknown) => callback(error),
    );
  }

  set(id: string, data: session.SessionData, callback?: (error?: unknown) => void): void {
    settle(this.redis.run((client) => client.set(sessionKey(id), JSON.stringify(data), { EX: this.ttlSeconds })), callback);
  }

  destroy(id: string, callback?: (error?: unknown) => void): void {
    settle(this.redis.run((client) => client.del(sessionKey(id))), callback);
  }

  override touch(id: string, _data: session.SessionData, callback?: (error?: unknown) => void): void {
    settle(this.redis.run((client) => client.expire(sessionKey(id), this.ttlSeconds)), callback);
  }
}

const sessionKey = (id: string) => `admin:session:${id}`;

/** express-session's callback style: nothing on success, the error otherwise. */
const settle = (work: Promise<unknown>, callback?: (error?: unknown) => void) =>
  void work.then(
    () => callback?.(),
    (error: unknown) => callback?.(error),
  );

class InProcessSessionStore extends session.Store {
  private readonly sessions = new Map<string, { data: session.SessionData; expiresAt: number }>();

  constructor(private readonly ttlSeconds: number) {
    super();
    setInterval(() => {
      const now = Date.now();
      for (const [id, entry] of this.sessions) if (entry.expiresAt <= now) this.sessions.delete(id);
    }, 60_000).unref();
  }

  get(id: string, callback: (error: unknown, data?: session.SessionData | null) => void): void {
    const entry = this.sessions.get(id);
    callback(null, entry && entry.expiresAt > Date.now() ? entry.data : null);
  }

  set(id: string, data: session.SessionData, callback?: (error?: unknown) => void): void {
    this.sessions.set(id, { data, expiresAt: Date.now() + this.ttlSeconds * 1000 });
    callback?.();
  }

  destroy(id: string, callback?: (error?: unknown) => void): void {
    this.sessions.delete(id);
    callback?.();
  }

  override touch(id: string, data: session.SessionData, callback?: () => void): void {
    this.set(id, data, callback);
  }
}
