import { ExpiringMap, type Clock } from '#common';
import type { RedisConnection } from '#redis';

const WINDOW_SECONDS = 15 * 60;

/**
 * Counts failed admin sign-ins per key (an account, an IP address) in a 15-minute window: in
 * Redis, shared by every instance, or in process on the embedded default.
 */
export class FailedSignIns {
  private readonly memory: ExpiringMap<number>;

  constructor(
    private readonly redis: RedisConnection | null,
    clock: Clock,
  ) {
    this.memory = new ExpiringMap(100_000, () => clock.now().getTime());
  }

  async count(key: string): Promise<number> {
    if (this.redis) return Number((await this.redis.run((client) => client.get(`admin:failed:${key}`))) ?? 0);
    return this.memory.get(key) ?? 0;
  }

  async add(key: string): Promise<void> {
    if (this.redis) {
      await this.redis.run((client) => client.multi().incr(`admin:failed:${key}`).expire(`admin:failed:${key}`, WINDOW_SECONDS, 'NX').exec());
      return;
    }
    // The window starts at the first failure, as with Redis's EXPIRE NX.
    const count = this.memory.get(key);
    this.memory.set(key, (count ?? 0) + 1, count === undefined ? WINDOW_SECONDS * 1000 : this.memory.ttl(key));
  }

  async clear(key: string): Promise<void> {
    if (this.redis) await this.redis.run((client) => client.del(`admin:failed:${key}`));
    else this.memory.delete(key);
  }
}
