import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ChurnSet, type KeyCipher, throttled } from '#common';
import { Metrics } from '#metrics';
import { LuaScript, RedisConnection } from '#redis';
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

export const DELIVERY_TRANSPORT = Symbol('DELIVERY_TRANSPORT');
export const DELIVERY_SETTINGS = Symbol('DELIVERY_SETTINGS');

export interface DeliverySettings extends QueuePolicy {
  /** The queue's keys are `<prefix>:messages:*`. */
  prefix: string;
  concurrency: number;
  /** How long a taken message is left to its worker before another may take it (see leaseMs). */
  sendTimeoutMs: number;
}

/**
 * What is stored in Redis for a message: the message (recipient and code) sealed with AES-256-GCM
 * under KEYS_ENCRYPTION_KEY and bound to the message id, so a Redis dump or MONITOR shows no code,
 * no address and not whether the message holds a code or a notice; beside it only what an operator
 * needs to see a failure.
 */
interface StoredMessage {
  sealed: string;
  purpose: string;
  to: string;
}

/** A message a worker has taken: its id, what is stored of it, and which attempt this is. */
export interface TakenMessage {
  id: string;
  stored: StoredMessage;
  attempt: number;
}

const script = (name: string) => LuaScript.fromFile(new URL(`./lua/${name}.lua`, import.meta.url));
const addScript = script('queue-add');
const takeScript = script('queue-take');
const settleScript = script('queue-settle');
const statsScript = script('queue-stats');

const DEAD_LETTER_LIFETIME_MS = 7 * 86_400_000;
/** Dead letters kept at most, oldest dropped first. */
const DEAD_LETTERS_KEPT = 10_000;

/**
 * The queue in Redis: a sorted set of message ids by when each may next be taken, their sealed data
 * in a hash, all under one hash tag (one cluster slot), every change one Lua script. A worker takes
 * due messages and leases them; a delivered message is deleted at once, a failed one is due again
 * after the capped backoff until maxAttempts, then kept as a dead letter for 7 days. A worker that
 * dies mid-send loses nothing: its lease runs out and another worker takes the message, under the
 * same id. Jobs survive restarts, and any instance's worker (or `npm run worker`) may send them.
 *
 * One script call per change, each a single round trip on the process's one Redis connection: a
 * message costs three (queued, taken, settled), where BullMQ took about a dozen on two connections.
 */
export class RedisDeliveryQueue extends DeliveryQueue {
  private readonly keys: Record<'due' | 'jobs' | 'attempts' | 'failed' | 'dead' | 'delivered', string>;
  /** Called when this process queues a message, so a worker in the same process takes it at once. */
  onQueued?: () => void;

  constructor(
    private readonly redis: RedisConnection,
    private readonly cipher: KeyCipher,
    private readonly settings: DeliverySettings,
    private readonly deadLettersKept = DEAD_LETTERS_KEPT,
  ) {
    super();
    const key = (name: string) => `${settings.prefix}:messages:${name}`;
    this.keys = {
      due: key('due'),
      jobs: key('jobs'),
      attempts: key('attempts'),
      failed: key('failed'),
      dead: key('dead'),
      delivered: key('delivered'),
    };
  }

  /** Every key of the queue (for a test's clean-up). */
  get allKeys(): string[] {
    return Object.values(this.keys);
  }

  async send(message: OtpMessage): Promise<void> {
    const id = newMessageId();
    const stored: StoredMessage = {
      sealed: this.cipher.encrypt(JSON.stringify(message), id),
      purpose: message.purpose,
      to: maskRecipient(message.recipient.value),
    };
    await this.redis.evalScript(addScript, [this.keys.due, this.keys.jobs], [id, JSON.stringify(stored)]);
    this.onQueued?.();
  }

  /** Up to `limit` due messages, leased to the caller for `leaseMs`. */
  async take(limit: number, leaseMs: number): Promise<TakenMessage[]> {
    const reply = (await this.redis.evalScript(
      takeScript,
      [this.keys.due, this.keys.jobs, this.keys.attempts],
      [String(limit), String(leaseMs)],
    )) as (string | number)[];
    const taken: TakenMessage[] = [];
    for (let i = 0; i < reply.length; i += 3) {
      taken.push({ id: String(reply[i]), stored: JSON.parse(String(reply[i + 1])) as StoredMessage, attempt: Number(reply[i + 2]) });
    }
    return taken;
  }

  /** Opens a taken message; throws if it was sealed under another KEYS_ENCRYPTION_KEY. */
  open(taken: TakenMessage): OtpMessage {
    return JSON.parse(this.cipher.decrypt(taken.stored.sealed, taken.id)) as OtpMessage;
  }

  delivered(taken: TakenMessage): Promise<void> {
    return this.settle(taken, 'delivered', '');
  }

  retryIn(taken: TakenMessage, delayMs: number): Promise<void> {
    return this.settle(taken, 'retry', String(delayMs));
  }

  deadLetter(taken: TakenMessage, reason: string): Promise<void> {
    const letter = { messageId: taken.id, purpose: taken.stored.purpose, to: taken.stored.to, reason, attempts: taken.attempt };
    return this.settle(taken, 'dead', JSON.stringify(letter));
  }

  async stats(): Promise<DeliveryStats> {
    const [queued, delivered, deadLettered, deadLetteredLast15m] = await this.readStats(0);
    return statsWithStatus(
      {
        queued: Number(queued),
        delivered: Number(delivered),
        deadLettered: Number(deadLettered),
        deadLetteredLast15m: Number(deadLetteredLast15m),
      },
      this.settings,
    );
  }

  async recentDeadLetters(limit: number): Promise<DeadLetter[]> {
    const letters = (await this.readStats(limit)).slice(4);
    const result: DeadLetter[] = [];
    for (let i = 0; i < letters.length; i += 2) {
      const letter = JSON.parse(String(letters[i + 1])) as Omit<DeadLetter, 'failedAt'>;
      result.push({ ...letter, failedAt: new Date(Number(letters[i])).toISOString() });
    }
    return result;
  }

  private readStats(deadLetters: number): Promise<(string | number)[]> {
    return this.redis.evalScript(
      statsScript,
      [this.keys.due, this.keys.failed, this.keys.dead, this.keys.delivered],
      [String(DEAD_LETTER_LIFETIME_MS), String(DEGRADED_WINDOW_MS), String(deadLetters)],
    ) as Promise<(string | number)[]>;
  }

  private async settle(taken: TakenMessage, outcome: 'delivered' | 'retry' | 'dead', detail: string): Promise<void> {
    const { due, jobs, attempts, failed, dead, delivered } = this.keys;
    await this.redis.evalScript(
      settleScript,
      [due, jobs, attempts, failed, dead, delivered],
      [taken.id, String(taken.attempt), outcome, detail, String(DEAD_LETTER_LIFETIME_MS), String(this.deadLettersKept)],
    );
  }
}

/** How often an idle worker looks for due messages (new ones, and retries come due). */
const POLL_MS = 100;
/** The pause after Redis failed a take, growing to this much while it stays down. */
const MAX_PAUSE_MS = 2000;

/**
 * The worker: takes due messages from the Redis queue, up to DELIVERY_CONCURRENCY at a time, and
 * sends them. Runs in the API or in `npm run worker`. It polls (a take is one short script), woken
 * at once by a message queued in its own process or by a free slot when it had been full; Redis
 * down only pauses it, growing to 2 s, until Redis is back.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Delivery');
  /** A down Redis fails every take; one line every 10 s is enough. */
  private readonly warn = throttled(10_000, (error: Error) => this.logger.warn(`Delivery queue: Redis unavailable: ${error.message}`));
  /** Attempts not yet settled (shutdown waits for them)… */
  private readonly inFlight = new ChurnSet<Promise<void>>();
  /** …of which this many are still sending (they hold the concurrency slots). */
  private sending = 0;
  private running = false;
  private loop?: Promise<void>;
  /** The loop's pause, while it is paused: ended early by a queued message, or a freed slot if it asked. */
  private pause?: { end: () => void; untilFreeSlot: boolean };
  private wakePending = false;

  constructor(
    @Inject(RedisDeliveryQueue) private readonly queue: RedisDeliveryQueue,
    @Inject(DELIVERY_TRANSPORT) private readonly transport: Transport,
    @Inject(DELIVERY_SETTINGS) private readonly settings: DeliverySettings,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(DeliveryHistory) private readonly history: DeliveryHistory,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.queue.onQueued = () => this.wakeSoon(false);
    this.loop = this.run();
  }

  /** Stops taking messages and lets those under way finish; the rest stay queued for another worker. */
  async onModuleDestroy(): Promise<void> {
    this.running = false;
    this.pause?.end();
    await this.loop;
    await Promise.allSettled(this.inFlight);
  }

  /**
   * A taken message is the worker's for this long: every attempt is bounded by the transport's
   * timeouts (connect, greeting, each read), so a few of those plus a margin, at least 30 s.
   */
  private get leaseMs(): number {
    return Math.max(30_000, 4 * this.settings.sendTimeoutMs + 10_000);
  }

  private async run(): Promise<void> {
    let failedTakes = 0;
    while (this.running) {
      const free = this.settings.concurrency - this.sending;
      if (free <= 0) {
        await this.sleep(POLL_MS, true);
        continue;
      }
      let taken: TakenMessage[];
      try {
        taken = await this.queue.take(free, this.leaseMs);
        failedTakes = 0;
      } catch (error) {
        this.warn(error as Error);
        failedTakes += 1;
        await this.sleep(Math.min(MAX_PAUSE_MS, POLL_MS * 2 ** failedTakes), false);
        continue;
      }
      for (const message of taken) this.start(message);
      // Every slot filled: more may be waiting, so look again once one frees. Otherwise the queue is
      // drained: wait for a message queued here, or the next poll.
      await this.sleep(POLL_MS, taken.length === free);
    }
  }

  private sleep(ms: number, untilFreeSlot: boolean): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.pause = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.pause = { end, untilFreeSlot };
    });
  }

  /**
   * Ends the pause once the current callbacks have run (a microtask): before node-redis writes what
   * they queued, so a freed slot's take goes out in the same write as the outcome that freed it.
   */
  private wakeSoon(freedSlot: boolean): void {
    if (this.wakePending || !this.pause || (freedSlot && !this.pause.untilFreeSlot)) return;
    this.wakePending = true;
    queueMicrotask(() => {
      this.wakePending = false;
      this.pause?.end();
    });
  }

  private start(message: TakenMessage): void {
    this.sending += 1;
    let freed = false;
    // The slot frees when the sending ends, before its outcome is written: the next take then goes
    // out in the same Redis write as that outcome.
    const freeSlot = () => {
      if (freed) return;
      freed = true;
      this.sending -= 1;
      this.wakeSoon(true);
    };
    const attempt = this.attempt(message, freeSlot)
      .catch((error: unknown) => this.warn(error as Error))
      .finally(() => {
        freeSlot();
        this.inFlight.delete(attempt);
      });
    this.inFlight.add(attempt);
  }

  /**
   * One attempt, and its outcome recorded. If Redis cannot take the outcome, the lease runs out and
   * the message is sent again under the same id: at least once, never lost.
   */
  private async attempt(taken: TakenMessage, doneSending: () => void): Promise<void> {
    let message: OtpMessage;
    try {
      message = this.queue.open(taken);
    } catch {
      doneSending();
      this.logger.error(`${taken.id}: cannot be opened with this KEYS_ENCRYPTION_KEY; dead-lettered`);
      return this.queue.deadLetter(taken, 'sealed under another KEYS_ENCRYPTION_KEY');
    }
    if (taken.attempt > this.settings.maxAttempts) {
      doneSending();
      // Taken again after every lease ran out: its workers died sending it (or Redis lost their outcomes).
      this.logger.error(`${taken.id}: not settled after ${this.settings.maxAttempts} attempts; dead-lettered`);
      return this.queue.deadLetter(taken, `not settled after ${this.settings.maxAttempts} attempts`);
    }
    const outcome = await attemptDelivery(
      this.transport,
      this.logger,
      this.metrics,
      this.history,
      { id: taken.id, message, attempt: taken.attempt },
      this.settings,
    );
    doneSending();
    if (outcome.delivered) return this.queue.delivered(taken);
    if (outcome.final) return this.queue.deadLetter(taken, outcome.reason);
    return this.queue.retryIn(taken, retryDelayMs(this.settings.retryBaseMs, taken.attempt));
  }
}
