import { Module } from '@nestjs/common';
import { Clock } from '#common';
import { RedisConnection } from '#redis';
import { AuditModule } from '#audit';
import { CaptchaModule } from '#captcha';
import { UsersModule } from '#users';
import { DevOutboxController } from './dev-outbox.controller.js';
import { OtpCrypto } from './otp-crypto.js';
import { OtpStore } from './otp-store.js';
import { MemoryOtpStore } from './otp-store.memory.js';
import { RedisOtpStore } from './otp-store.redis.js';
import { OtpController } from './otp.controller.js';
import { OtpService } from './otp.service.js';
import { SmsBudget } from './sms-budget.js';

/** Codes: request and verify. The DeliveryChannel it sends through comes from DeliveryModule (global). */
@Module({
  imports: [UsersModule, AuditModule, CaptchaModule],
  controllers: [OtpController],
  providers: [
    OtpCrypto,
    OtpService,
    {
      provide: OtpStore,
      inject: [Clock, { token: RedisConnection, optional: true }],
      useFactory: (clock: Clock, redis: RedisConnection | null) => (redis ? new RedisOtpStore(redis) : new MemoryOtpStore(clock)),
    },
    SmsBudget,
  ],
  exports: [OtpService, OtpStore],
})
export class OtpModule {}

/**
 * GET /api/dev/otp (the last code sent, for scripts), imported only with the development channel:
 * with any other the route does not exist at all, so production has nothing there to probe.
 */
@Module({ imports: [OtpModule], controllers: [DevOutboxController] })
export class DevOutboxModule {}
