import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import {
  MetricsTime,
  UnrecoverableError,
  type BackoffOptions,
  type ConnectionOptions,
  type Job,
  type MinimalJob,
  type Queue,
} from 'bullmq';
import { DependencyUnavailableError, type KeyCipher, throttled, withTimeout } from '#common';
import type { RedisTarget } from '#config';
import { Metrics } from '#metrics';
import type { OtpMessage } from './delivery-channel.js';
import { DeliveryHistory } from './delivery-history.js';
import {
  DEGRADED_WINDOW_MS,
  DeliveryQueue,
  attemptDelivery,
  maskRecipient,
  newMessageId,
  retryDelayMs,
  statsWithStatus,
  type DeadLetter,
  type DeliveryStats,
  type QueuePolicy,
  type Transport,
} from './delivery-queue.js';

/** The queue's name; its keys are `<DELIVERY_QUEUE_PREFIX>:messages:*`. */
export const DELIVERY_QUEUE = 'messages';
export const DELIVERY_TRANSPORT = Symbol('DELIVERY_TRANSPORT');
export const MESSAGE_CIPHER = Symbol('MESSAGE_CIPHER');
export const DELIVERY_SETTINGS = Symbol('DELIVERY_SETTINGS');

export interface DeliverySettings extends QueuePolicy {
  concurrency: number;
  /** Bound on queueing a message, so otp/request answers 503 rather than waiting on a dead Redis. */
  enqueueTimeoutMs: number;
}

/**
 * What is stored in Redis for a job: the message (recipient and code) sealed with AES-256-GCM under
 * KEYS_ENCRYPTION_KEY and bound to the job id, so a Redis dump or MONITOR shows no code, no
 * address and not whether the message holds a code or a notice; beside it only what an operator
 * needs to see a failure.
 */
interface DeliveryJobData {
  sealed: string;
  purpose: string;
  to: string;
}

/**
 * BullMQ's ioredis connection, reconnecting like the main client: options for one Redis (BullMQ
 * opens and closes its own connections), or for a cluster a Cluster instance the caller must quit
 * after the queue and worker have closed. Its keys share the prefix's hash tag, so its scripts run
 * on one node.
 */
export function bullConnection(target: RedisTarget): ConnectionOptions {
  const first = new URL('url' in target ? target.url : target.clusterNodes[0]);
  const common = {
    username: decodeURIComponent(first.username) || undefined,
    password: decodeURIComponent(first.password) || undefined,
    tls: first.protocol === 'rediss:' ? {} : undefined,
    connectTimeout: 2000,
  };
  const backoff = (times: number) => Math.min(50 * 2 ** times, 2000);
  if ('url' in target) {
    return {
      ...common,
      host: hostOf(first),
      port: Number(first.port || 6379),
      db: Number(first.pathname.slice(1) || 0),
      retryStrategy: backoff,
    };
  }
  const nodes = target.clusterNodes.map((node) => new URL(node)).map((url) => ({ host: hostOf(url), port: Number(url.port || 6379) }));
  // A worker's blocking connection must not give up on a command (BullMQ refuses the instance otherwise).
  return new Cluster(nodes, { lazyConnect: true, clusterRetryStrategy: backoff, redisOptions: { ...common, maxRetriesPerRequest: null } });
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** BullMQ's exponential backoff with the in-process queue's cap. */
function cappedBackoff(attemptsMade: number, _type?: string, _error?: Error, job?: MinimalJob): number {
  return retryDelayMs((job?.opts.backoff as BackoffOptions | undefined)?.delay ?? 1000, attemptsMade);
}

/** A down Redis makes every reconnect attempt an error event; one line every 10 s is enough. */
const throttledWarning = (logger: Logger) =>
  throttled(10_000, (error: Error) => logger.warn(`Delivery queue: Redis unavailable: ${error.message}`));

/**
 * The queue with Redis (BullMQ): a message is a job whose id is the message's idempotency key, kept
 * through its retries; retries with capped exponential backoff up to maxAttempts,
 * then the job stays in the failed set (the dead letters) for 7 days. Jobs survive restarts, and any
 * instance's worker (or `npm run worker`) may send them.
 */
export class RedisDeliveryQueue extends DeliveryQueue {
  constructor(
    private readonly queue: Queue,
    private readonly cipher: KeyCipher,
    private readonly settings: DeliverySettings,
  ) {
    super();
    // Without a listener an 'error' event would crash the process.
    queue.on('error', throttledWarning(new Logger('Delivery')));
  }

  async send(message: OtpMessage): Promise<void> {
    const id = newMessageId();
    const data: DeliveryJobData = {
      sealed: this.cipher.encrypt(JSON.stringify(message), id),
      purpose: message.purpose,
      to: maskRecipient(message.recipient.value),
    };
    const { maxAttempts, retryBaseMs } = this.settings;
    await this.redis(() =>
      this.queue.add('deliver', data, {
        jobId: id,
        attempts: maxAttempts,
        backoff: { type: 'capped-exponential', delay: retryBaseMs },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 86_400 },
      }),
    );
  }

  async stats(): Promise<DeliveryStats> {
    return this.redis(async () => {
      const client = await this.queue.client;
      const [counts, completed, deadLetteredLast15m] = await Promise.all([
        this.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed'),
        this.queue.getMetrics('completed', 0, 0),
        // BullMQ scores its failed set by the wall clock of the worker that failed the job, so this
        // reads the wall clock too, not the service's Clock.
        client.zcount(this.queue.keys.failed, Date.now() - DEGRADED_WINDOW_MS, '+inf'),
      ]);
      const queued = counts.waiting + counts.prioritized + counts.delayed + counts.active;
      return statsWithStatus({ queued, delivered: completed.meta.count, deadLettered: counts.failed, deadLetteredLast15m }, this.settings);
    });
  }

  async recentDeadLetters(limit: number): Promise<DeadLetter[]> {
    const jobs = await this.redis(() => this.queue.getFailed(0, limit - 1));
    return jobs.filter(Boolean).map((job) => {
      const data = job.data as DeliveryJobData;
      const failedAt = new Date(job.finishedOn ?? job.timestamp).toISOString();
      return { messageId: job.id!, purpose: data.purpose, to: data.to, reason: job.failedReason, attempts: job.attemptsMade, failedAt };
    });
  }

  /** Queue commands are bounded like every other Redis command, and a failure becomes 503. */
  private async redis<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(
        (async () => {
          const client = await this.queue.client;
          if (client.status !== 'ready') throw new Error(`Redis connection is ${client.status}`);
          return work();
        })(),
        this.settings.enqueueTimeoutMs,
        `Delivery queue did not answer within ${this.settings.enqueueTimeoutMs} ms`,
      );
    } catch (error) {
      throw new DependencyUnavailableError('redis', error);
    }
  }
}

/** The worker: takes jobs from the Redis queue and sends them. Runs in the API or in `npm run worker`. */
@Processor(DELIVERY_QUEUE, { settings: { backoffStrategy: cappedBackoff }, metrics: { maxDataPoints: MetricsTime.ONE_HOUR } })
export class DeliveryProcessor extends WorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger('Delivery');
  private readonly warn = throttledWarning(this.logger);

  constructor(
    @Inject(DELIVERY_TRANSPORT) private readonly transport: Transport,
    @Inject(MESSAGE_CIPHER) private readonly cipher: KeyCipher,
    @Inject(DELIVERY_SETTINGS) private readonly settings: DeliverySettings,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(DeliveryHistory) private readonly history: DeliveryHistory,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    // The decorator's options are fixed at build time; the concurrency comes from the config.
    this.worker.concurrency = this.settings.concurrency;
  }

  async process(job: Job<DeliveryJobData>): Promise<void> {
    const id = job.id!;
    let message: OtpMessage;
    try {
      message = JSON.parse(this.cipher.decrypt(job.data.sealed, id)) as OtpMessage;
    } catch {
      this.logger.error(`${id}: cannot be opened with this KEYS_ENCRYPTION_KEY; dead-lettered`);
      throw new UnrecoverableError('sealed under another KEYS_ENCRYPTION_KEY');
    }
    const outcome = await attemptDelivery(
      this.transport,
      this.logger,
      this.metrics,
      this.history,
      { id, message, attempt: job.attemptsMade + 1 },
      this.settings,
    );
    if (outcome.delivered) return;
    throw outcome.permanent ? new UnrecoverableError(outcome.reason) : new Error(outcome.reason);
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.warn(error);
  }
}
