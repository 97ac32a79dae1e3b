import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock, KeyCipher } from '#common';
import type { AppConfig } from '#config';
import { Metrics } from '#metrics';
import { RedisConnection } from '#redis';
import { DeliveryChannel } from './delivery-channel.js';
import { DeliveryQueue, DeliveryStatsSource, InProcessDeliveryQueue, type Transport } from './delivery-queue.js';
import { DeliveryHistory } from './delivery-history.js';
import { DevDeliveryChannel } from './dev-delivery.channel.js';
import { SmtpTransport } from './email/smtp.transport.js';
import {
  DELIVERY_SETTINGS,
  DELIVERY_TRANSPORT,
  DeliveryWorker,
  RedisDeliveryQueue,
  type DeliverySettings,
} from './redis-delivery.queue.js';
import { RoutingTransport, TwilioSmsTransport, WebhookSmsTransport } from './sms/sms.transports.js';

/** Who is composing the module: the API (queues, and sends unless DELIVERY_WORKER=false), the worker (sends), the CLI (neither). */
export type DeliveryRole = 'api' | 'worker' | 'cli';

function createTransport({ delivery }: AppConfig): Transport {
  const { smtp, sms, productName, locale, timeoutMs } = delivery;
  const common = { productName, locale, timeoutMs };
  const email = smtp && new SmtpTransport({ ...smtp, ...common });
  const text =
    sms && (sms.provider === 'twilio' ? new TwilioSmsTransport({ ...sms, ...common }) : new WebhookSmsTransport({ ...sms, ...common }));
  return new RoutingTransport(email, text);
}

/** The queue's depth and dead letters, read at each scrape of /metrics. */
function watchQueue<Q extends DeliveryQueue>(metrics: Metrics, queue: Q): Q {
  metrics.watch(async () => {
    const stats = await queue.stats();
    metrics.deliveryQueueDepth.set(stats.queued);
    metrics.deliveryDeadLetters.set(stats.deadLettered);
  });
  return queue;
}

/**
 * Provides the DeliveryChannel otp/request hands its messages to, chosen from the config when the
 * application is composed: the development outbox; or, live, a queue: in Redis when there is one (its
 * worker in this process or in `npm run worker`), else in process.
 */
@Module({})
export class DeliveryModule {
  static forRoot(config: AppConfig, role: DeliveryRole): DynamicModule {
    const module = { module: DeliveryModule, global: true, exports: [DeliveryChannel, DeliveryStatsSource, DeliveryHistory] };
    const liveStats: Provider = { provide: DeliveryStatsSource, useExisting: DeliveryChannel };
    const { delivery, redis } = config;
    if (delivery.channel === 'dev') {
      const channel: Provider = {
        provide: DeliveryChannel,
        inject: [DataSource, Clock, Metrics, DeliveryHistory],
        useFactory: (dataSource: DataSource, clock: Clock, metrics: Metrics, history: DeliveryHistory) =>
          new DevDeliveryChannel(dataSource, clock, metrics, history),
      };
      return { ...module, providers: [channel, DeliveryHistory, { provide: DeliveryStatsSource, useValue: null }] };
    }
    const settings: DeliverySettings = {
      maxAttempts: delivery.maxAttempts,
      retryBaseMs: delivery.retryBaseMs,
      degradedBacklog: delivery.degradedBacklog,
      degradedFailures: delivery.degradedFailures,
      prefix: delivery.queue.kind === 'redis' ? delivery.queue.prefix : '',
      concurrency: delivery.queue.kind === 'redis' ? delivery.queue.concurrency : 1,
      sendTimeoutMs: delivery.timeoutMs,
    };
    const transport: Provider = { provide: DELIVERY_TRANSPORT, useFactory: () => createTransport(config) };
    if (delivery.queue.kind === 'in-process' || redis.kind !== 'redis' || role === 'cli') {
      const channel: Provider = {
        provide: DeliveryChannel,
        inject: [DELIVERY_TRANSPORT, Metrics, DeliveryHistory, Clock],
        useFactory: (sender: Transport, metrics: Metrics, history: DeliveryHistory, clock: Clock) =>
          watchQueue(metrics, new InProcessDeliveryQueue(sender, settings, metrics, history, clock)),
      };
      return { ...module, providers: [transport, channel, DeliveryHistory, liveStats] };
    }
    const runWorker = role === 'worker' || delivery.queue.runWorker;
    const queue: Provider = {
      provide: RedisDeliveryQueue,
      inject: [RedisConnection, Metrics],
      useFactory: (redis: RedisConnection, metrics: Metrics) =>
        watchQueue(metrics, new RedisDeliveryQueue(redis, new KeyCipher(config.keys.encryptionKey, 'queued message'), settings)),
    };
    return {
      ...module,
      providers: [
        transport,
        queue,
        { provide: DeliveryChannel, useExisting: RedisDeliveryQueue },
        DeliveryHistory,
        liveStats,
        { provide: DELIVERY_SETTINGS, useValue: settings },
        ...(runWorker ? [DeliveryWorker] : []),
      ],
    };
  }
}
