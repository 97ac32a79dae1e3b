import RedisStore from 'connect-redis';
import session from 'express-session';
import type { RedisConnection } from '#redis';

/**
 * The admin panel's session store: Redis on the real backend (shared by every instance), and on
 * the embedded default an in-process store that, unlike express-session's MemoryStore, forgets
 * expired sessions.
 */
export function adminSessionStore(redis: RedisConnection | null, ttlSeconds: number): session.Store {
  if (redis) return new RedisStore({ client: redis.client, prefix: 'admin:session:', ttl: ttlSeconds });
  return new InProcessSessionStore(ttlSeconds);
}

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
