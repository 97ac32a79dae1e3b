import type { ThrottlerStorage } from '@nestjs/throttler';
import { LuaScript, type RedisConnection } from '#redis';

const hit = LuaScript.fromFile(new URL('./lua/hit.lua', import.meta.url));

/** @nestjs/throttler's counters in Redis, so every instance shares them: one Lua call per request. */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly redis: RedisConnection) {}

  async increment(key: string, ttlMs: number, limit: number, _blockDuration: number, throttlerName: string) {
    const [totalHits, msLeft] = (await this.redis.evalScript(hit, [`ratelimit:${throttlerName}:${key}`], [String(ttlMs)])) as [number, number];
    const secondsLeft = Math.max(1, Math.ceil(msLeft / 1000));
    return { totalHits, timeToExpire: secondsLeft, isBlocked: totalHits > limit, timeToBlockExpire: totalHits > limit ? secondsLeft : 0 };
  }
}
