import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { DataSource } from 'typeorm';
import { Clock, KeyCipher } from '#common';
import type { AppConfig } from '#config';
import { Metrics } from '#metrics';
import { DeliveryChannel } from './delivery-channel.js';
import { DeliveryQueue, DeliveryStatsSource, InProcessDeliveryQueue, type Transport } from './delivery-queue.js';
import { DeliveryHistory } from './delivery-history.js';
import { DevDeliveryChannel } from './dev-delivery.channel.js';
import { SmtpTransport } from './email/smtp.transport.js';
import {
  DELIVERY_QUEUE,
  DELIVERY_SETTINGS,
  DELIVERY_TRANSPORT,
  DeliveryProcessor,
  MESSAGE_CIPHER,
  RedisDeliveryQueue,
  bullConnection,
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

/** BullMQ does not close a connection it was given: quit the cluster once the worker and queue have closed. */
function clusterCloser(cluster: Cluster): Provider {
  return {
    provide: Cluster,
    inject: [getQueueToken(DELIVERY_QUEUE), { token: DeliveryProcessor, optional: true }],
    useFactory: (queue: Queue, processor: DeliveryProcessor | null) => ({
      async onApplicationShutdown() {
        // Both closes are idempotent; Nest's own hooks for them may run at the same time as this one.
        await processor?.worker.close();
        await queue.close();
        await cluster.quit().catch(() => cluster.disconnect());
      },
    }),
  };
}

/**
 * Provides the DeliveryChannel otp/request hands its messages to, chosen from the config when the
 * application is composed: the development outbox; or, live, a queue: BullMQ in Redis when there is
 * one (its worker in this process or in `npm run worker`), else in process.
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
      concurrency: delivery.queue.kind === 'redis' ? delivery.queue.concurrency : 1,
      enqueueTimeoutMs: redis.kind === 'redis' ? redis.commandTimeoutMs : 1000,
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
    const connection = bullConnection(redis.target);
    const channel: Provider = {
      provide: DeliveryChannel,
      inject: [getQueueToken(DELIVERY_QUEUE), MESSAGE_CIPHER, Metrics],
      useFactory: (queue: Queue, cipher: KeyCipher, metrics: Metrics) =>
        watchQueue(metrics, new RedisDeliveryQueue(queue, cipher, settings)),
    };
    return {
      ...module,
      imports: [BullModule.registerQueue({ name: DELIVERY_QUEUE, connection, prefix: delivery.queue.prefix })],
      providers: [
        transport,
        channel,
        DeliveryHistory,
        liveStats,
        { provide: DELIVERY_SETTINGS, useValue: settings },
        { provide: MESSAGE_CIPHER, useValue: new KeyCipher(config.keys.encryptionKey, 'queued message') },
        ...(runWorker ? [DeliveryProcessor] : []),
        ...(connection instanceof Cluster ? [clusterCloser(connection)] : []),
      ],
    };
  }
}
