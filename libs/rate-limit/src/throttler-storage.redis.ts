import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { DependencyUnavailableError } from '#common';
import { LuaScript, type RedisConnection } from '#redis';

const hit = LuaScript.fromFile(new URL('./lua/hit.lua', import.meta.url));

/**
 * @nestjs/throttler's counters in Redis, so every instance shares them: one Lua call per request.
 *
 * While Redis is down the limits are not counted and requests go through (fail open): the routes
 * that need Redis answer 503 anyway, and token refresh, which needs only Postgres, keeps working.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private counting = true;

  constructor(private readonly redis: RedisConnection) {}

  async increment(key: string, ttlMs: number, limit: number, _blockDuration: number, throttlerName: string) {
    let result: [number, number];
    try {
      result = (await this.redis.evalScript(hit, [`ratelimit:${throttlerName}:${key}`], [String(ttlMs)])) as [number, number];
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError)) throw error;
      if (this.counting) this.logger.warn('Redis is unavailable: per-IP limits are not counted until it returns');
      this.counting = false;
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
    if (!this.counting) this.logger.log('Redis is back: per-IP limits are counted again');
    this.counting = true;
    const [totalHits, msLeft] = result;
    const secondsLeft = Math.max(1, Math.ceil(msLeft / 1000));
    return { totalHits, timeToExpire: secondsLeft, isBlocked: totalHits > limit, timeToBlockExpire: totalHits > limit ? secondsLeft : 0 };
  }
}
