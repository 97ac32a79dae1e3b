import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { DependencyUnavailableError } from '#common';
import type { KeyValueStore } from '#redis';

/**
 * @nestjs/throttler's counters in the KeyValueStore: in Redis every instance shares them, one call
 * per request; in process they follow the service's Clock like every other window.
 *
 * While Redis is down the limits are not counted and requests go through (fail open): the routes
 * that need Redis answer 503 anyway, and token refresh, which needs only Postgres, keeps working.
 */
export class KeyValueThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private counting = true;

  constructor(private readonly kv: KeyValueStore) {}

  async increment(key: string, ttlMs: number, limit: number, _blockDuration: number, throttlerName: string) {
    let hits: { count: number; msLeft: number };
    try {
      hits = await this.kv.add(`ratelimit:${throttlerName}:${key}`, 1, ttlMs);
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError)) throw error;
      if (this.counting) this.logger.warn('Redis is unavailable: per-IP limits are not counted until it returns');
      this.counting = false;
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
    if (!this.counting) this.logger.log('Redis is back: per-IP limits are counted again');
    this.counting = true;
    const secondsLeft = Math.max(1, Math.ceil(hits.msLeft / 1000));
    const isBlocked = hits.count > limit;
    return { totalHits: hits.count, timeToExpire: secondsLeft, isBlocked, timeToBlockExpire: isBlocked ? secondsLeft : 0 };
  }
}
