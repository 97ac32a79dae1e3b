import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '#common';
import { AppConfig } from '#config';
import { RedisConnection } from '#redis';
import { AuditModule } from '#audit';
import { UsersModule } from '#users';
import { DeliveryChannel } from './delivery/delivery-channel.js';
import { DevDeliveryChannel } from './delivery/dev-delivery.channel.js';
import { InProcessDeliveryQueue } from './delivery/delivery-queue.js';
import { SmtpTransport } from './delivery/email/smtp.transport.js';
import { RoutingTransport, TwilioSmsTransport, WebhookSmsTransport } from './delivery/sms/sms.transports.js';
import { DevOutboxController } from './dev-outbox.controller.js';
import { OtpCrypto } from './otp-crypto.js';
import { OtpStore } from './otp-store.js';
import { MemoryOtpStore } from './otp-store.memory.js';
import { RedisOtpStore } from './otp-store.redis.js';
import { OtpController } from './otp.controller.js';
import { OtpService } from './otp.service.js';

@Module({
  imports: [UsersModule, AuditModule],
  controllers: [OtpController, DevOutboxController],
  providers: [
    OtpCrypto,
    OtpService,
    {
      provide: OtpStore,
      inject: [Clock, { token: RedisConnection, optional: true }],
      useFactory: (clock: Clock, redis: RedisConnection | null) => (redis ? new RedisOtpStore(redis) : new MemoryOtpStore(clock)),
    },
    {
      provide: DeliveryChannel,
      inject: [AppConfig, Clock, DataSource, { token: RedisConnection, optional: true }],
      useFactory: (config: AppConfig, clock: Clock, dataSource: DataSource, redis: RedisConnection | null) => {
        const { channel, smtp, sms, productName, locale, timeoutMs, maxAttempts, retryBaseMs } = config.delivery;
        if (channel === 'dev') return new DevDeliveryChannel(redis ?? null, dataSource, clock);
        const common = { productName, locale, timeoutMs };
        const email = smtp && new SmtpTransport({ ...smtp, ...common });
        const text = sms && (sms.provider === 'twilio' ? new TwilioSmsTransport({ ...sms, ...common }) : new WebhookSmsTransport({ ...sms, ...common }));
        return new InProcessDeliveryQueue(new RoutingTransport(email, text), { maxAttempts, retryBaseMs });
      },
    },
  ],
  exports: [OtpService, OtpStore, DeliveryChannel],
})
export class OtpModule {}
