import { ExpiringMap, type Clock } from '#common';
import { LuaScript, type RedisConnection } from '#redis';

const WINDOW_SECONDS = 15 * 60;

// INCR and the window's start in one step: no key is ever left without its expiry. One key a call,
// so it runs on a Redis Cluster too.
const COUNT_ATTEMPT = new LuaScript(
  'count-sign-in-attempt',
  "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n",
);

/**
 * Counts admin sign-in attempts per key (an account, an IP address) in a 15-minute window that
 * starts at the first one: in Redis, shared by every instance, or in process on the embedded
 * default. An attempt is counted before its password is checked, atomically for each of its keys, so a burst of concurrent guesses gets no more checks than the limit however it arrives;
 * a sign-in that succeeds gives its count back.
 */
export class SignInAttempts {
  private readonly memory: ExpiringMap<number>;

  constructor(
    private readonly redis: RedisConnection | null,
    clock: Clock,
  ) {
    this.memory = new ExpiringMap(100_000, () => clock.now().getTime());
  }

  /** Counts one attempt against each key; answers each key's count including this attempt. */
  async take(keys: string[]): Promise<number[]> {
    const { redis } = this;
    if (redis)
      return Promise.all(keys.map(async (key) => Number(await redis.evalScript(COUNT_ATTEMPT, [redisKey(key)], [String(WINDOW_SECONDS)]))));
    return keys.map((key) => {
      const count = (this.memory.get(key) ?? 0) + 1;
      this.memory.set(key, count, count === 1 ? WINDOW_SECONDS * 1000 : this.memory.ttl(key));
      return count;
    });
  }

  /** Forgets a key's attempts (an account signed in). */
  async clear(key: string): Promise<void> {
    if (this.redis) await this.redis.run((client) => client.del(redisKey(key)));
    else this.memory.delete(key);
  }

  /** Gives one attempt back (the address signed in: only failures count against it). */
  async giveBack(key: string): Promise<void> {
    if (this.redis) {
      await this.redis.run((client) => client.decr(redisKey(key)));
      return;
    }
    const count = this.memory.get(key);
    if (count !== undefined) this.memory.set(key, Math.max(0, count - 1), this.memory.ttl(key));
  }
}

const redisKey = (key: string) => `admin:failed:${key}`;
