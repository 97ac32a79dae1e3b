import { Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuditModule } from '#audit';
import { AppConfig } from '#config';
import { KeyValueStore } from '#redis';
import { RATE_LIMIT_GUARD } from './rate-limit.decorator.js';
import { RateLimitGuard, rateLimitOf } from './rate-limit.guard.js';
import { KeyValueThrottlerStorage } from './throttler-storage.js';

const HOUR_MS = 3_600_000;
const reflector = new Reflector();

/**
 * Per-IP limits on the public routes that cost the most or invite guessing, counted by
 * @nestjs/throttler in the KeyValueStore (Redis, shared by every instance, or in process on the
 * embedded default).
 * Routes without @RateLimit are not counted. The client IP is the socket's unless TRUST_PROXY says
 * which proxies may set X-Forwarded-For.
 */
@Module({
  imports: [
    AuditModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, KeyValueStore],
      useFactory: (config: AppConfig, kv: KeyValueStore) => {
        // RateLimitGuard lets the routes without @RateLimit through before the throttler counts.
        return {
          throttlers: [{ name: 'ip', ttl: HOUR_MS, limit: (context) => config.rateLimits[rateLimitOf(reflector, context) ?? 'signIn'] }],
          storage: new KeyValueThrottlerStorage(kv),
          setHeaders: false,
        };
      },
    }),
  ],
  // Made global by AppModule, which orders its guards.
  providers: [{ provide: RATE_LIMIT_GUARD, useClass: RateLimitGuard }],
  exports: [RATE_LIMIT_GUARD],
})
export class RateLimitModule {}
