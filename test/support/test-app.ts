import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Clock } from '#common';
import { AppConfig, loadConfig } from '#config';
import { DevDeliveryChannel, DeliveryChannel, RedisDeliveryQueue, type OtpPurpose } from '#delivery';
import { RedisConnection } from '#redis';
import { OtpService } from '#otp';
import { AppModule } from '../../apps/api/src/app.module.js';
import { configureApp, createHttpAdapter } from '../../apps/api/src/configure-app.js';
import { TEST_KEYS_ENCRYPTION_KEY } from './cli.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  http: () => ReturnType<typeof request>;
  /** The last code the development channel sent for this purpose and identifier. */
  lastCode(purpose: OtpPurpose, identifier: string): Promise<string>;
  close(): Promise<void>;
}

/** Which backends this run uses: real Postgres/Redis when their URLs are set, else the embedded default. */
export const backend = {
  database: process.env.DATABASE_URL ? 'postgres' : 'pglite',
  redis: process.env.REDIS_URL ? 'redis' : 'memory',
} as const;

/**
 * Starts the real application (same modules, same HTTP pipeline as main.ts) in this process. The
 * embedded default runs PGlite in memory; `env` overrides any variable for this app only; `clock`
 * (a ManualClock) replaces the service's one source of time, so a test moves time instead of waiting.
 */
export async function startTestApp(env: Record<string, string | undefined> = {}, options: { clock?: Clock } = {}): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    PGLITE_MEMORY: '1',
    JWT_SECRET: 'test-jwt-secret-test-jwt-secret-0123456789',
    OTP_SECRET: 'test-otp-secret-test-otp-secret-0123456789',
    KEYS_ENCRYPTION_KEY: TEST_KEYS_ENCRYPTION_KEY,
    // Every in-process test talks from 127.0.0.1, and on Redis the counts outlive the file: the
    // per-IP limits are on, but far above what a suite sends (their own tests use the built server).
    RATE_LIMIT_OTP_REQUESTS_PER_IP: '1000000',
    RATE_LIMIT_OTP_VERIFIES_PER_IP: '1000000',
    RATE_LIMIT_SIGN_INS_PER_IP: '1000000',
    RATE_LIMIT_ADMIN_REQUESTS_PER_IP: '1000000',
    ...process.env,
    // Each app its own delivery queue: apps of parallel test files share one Redis.
    DELIVERY_QUEUE_PREFIX: `{test-${randomUUID().slice(0, 8)}}`,
    ...env,
  });
  const builder = Test.createTestingModule({
    imports: [AppModule.register(config, { adminPanel: false, shareEmbeddedDatabase: false })],
  });
  if (options.clock) builder.overrideProvider(Clock).useValue(options.clock);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { bodyParser: false, logger: ['error'] });
  configureApp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const server = app.getHttpServer();
  const outbox = app.get(DeliveryChannel) as DevDeliveryChannel;
  const otp = app.get(OtpService);
  return {
    app,
    config,
    http: () => request(server),
    async lastCode(purpose, identifier) {
      const message = await outbox.lastMessage(purpose, otp.normalize(identifier).value);
      if (!message?.code) throw new Error(`no code was sent for ${purpose} ${identifier}`);
      return message.code;
    },
    async close() {
      // The app's own test queue (its unique prefix) goes with it, dead letters included.
      if (config.delivery.channel === 'live' && config.delivery.queue.kind === 'redis') {
        const queue = app.get(RedisDeliveryQueue, { strict: false });
        await app
          .get(RedisConnection, { strict: false })
          .run((redis) => redis.del(queue.allKeys))
          .catch(() => undefined);
      }
      await app.close();
    },
  };
}
