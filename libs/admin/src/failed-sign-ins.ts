import type { Clock } from '#common';
import type { RedisConnection } from '#redis';

const WINDOW_SECONDS = 15 * 60;

/**
 * Counts failed admin sign-ins per key (an account, an IP address) in a 15-minute window: in
 * Redis, shared by every instance, or in process on the embedded default.
 */
export class FailedSignIns {
  private readonly memory = new Map<string, { count: number; expiresAt: number }>();

  constructor(
    private readonly redis: RedisConnection | null,
    private readonly clock: Clock,
  ) {}

  async count(key: string): Promise<number> {
    if (this.redis) return Number((await this.redis.run((client) => client.get(`admin:failed:${key}`))) ?? 0);
    const entry = this.memory.get(key);
    return entry && entry.expiresAt > this.clock.now().getTime() ? entry.count : 0;
  }

  async add(key: string): Promise<void> {
    if (this.redis) {
      await this.redis.run((client) => client.multi().incr(`admin:failed:${key}`).expire(`admin:failed:${key}`, WINDOW_SECONDS, 'NX').exec());
      return;
    }
    const now = this.clock.now().getTime();
    const entry = this.memory.get(key);
    if (entry && entry.expiresAt > now) entry.count += 1;
    else this.memory.set(key, { count: 1, expiresAt: now + WINDOW_SECONDS * 1000 });
  }

  async clear(key: string): Promise<void> {
    if (this.redis) await this.redis.run((client) => client.del(`admin:failed:${key}`));
    else this.memory.delete(key);
  }
}
