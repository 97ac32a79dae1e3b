import { randomBytes } from 'node:crypto';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { ChurnSet, type Clock } from '#common';
import { channelOf, type Metrics } from '#metrics';
import { DeliveryChannel, type OtpMessage } from './delivery-channel.js';
import type { DeliveryHistory } from './delivery-history.js';

/** A channel that really sends, and may fail: the queue retries it. */
export interface Transport {
  readonly name: string;
  /** The channel a message goes out on, for the log (a router names the one it picks). */
  channelFor?(message: OtpMessage): string;
  /** `messageId` is the same on every attempt at one message (the idempotency key). */
  deliver(message: OtpMessage, messageId: string): Promise<void>;
  /** Lets go of kept-open connections at shutdown. */
  close?(): void;
}

/** A failure that retrying cannot fix (no channel for this kind of identifier, a refused address). */
export class PermanentDeliveryError extends Error {}

export interface QueuePolicy {
  maxAttempts: number;
  retryBaseMs: number;
  /** Delivery is reported degraded from this many messages waiting… */
  degradedBacklog: number;
  /** …or this many dead-lettered within DEGRADED_WINDOW_MS. */
  degradedFailures: number;
}

export const DEGRADED_WINDOW_MS = 15 * 60_000;
const MAX_BACKOFF_MS = 10 * 60_000;

/** What /health/ready and the admin dashboard show of the queue. */
export interface DeliveryStats {
  status: 'ok' | 'degraded';
  /** Messages waiting to be sent, being sent, or waiting for a retry. */
  queued: number;
  delivered: number;
  deadLettered: number;
  deadLetteredLast15m: number;
}

/**
 * A message given up on, as an operator sees it: never the code, the recipient masked, and not
 * whether it held a code or a notice (that would tell who has an account).
 */
export interface DeadLetter {
  messageId: string;
  purpose: string;
  to: string;
  reason: string;
  attempts: number;
  failedAt: string;
}

/**
 * What health and the admin dashboard read of live delivery. Provided as null with the development
 * channel, which has no queue to report on.
 */
export abstract class DeliveryStatsSource {
  abstract stats(): Promise<DeliveryStats>;
  abstract recentDeadLetters(limit: number): Promise<DeadLetter[]>;
}

/** A delivery channel that sends in the background, with retries, and can report on itself. */
export abstract class DeliveryQueue extends DeliveryChannel implements DeliveryStatsSource {
  abstract stats(): Promise<DeliveryStats>;
  abstract recentDeadLetters(limit: number): Promise<DeadLetter[]>;
}

/** Who a line of the log is about, without the whole address: j***@example.com, +49***89. */
export function maskRecipient(value: string): string {
  const at = value.indexOf('@');
  if (at > 0) return `${value[0]}***${value.slice(at)}`;
  return `${value.slice(0, 3)}***${value.slice(-2)}`;
}

/**
 * A provider's error text with every address and phone number in it masked: mail servers echo the
 * recipient in a refusal ("550 <jane@example.com>: unknown user"), and the reason is logged and kept
 * with the dead letter, where the recipient appears only masked.
 */
export function maskRecipientsIn(text: string): string {
  return text.replace(/[^\s<>"'(),;:]+@[^\s<>"'(),;]+|\+?\d[\d -]{6,}\d/g, (found) => maskRecipient(found.replace(/[ -]/g, '')));
}

/**
 * A message's id, drawn once when it is queued and kept through every retry (the idempotency key a
 * mail relay or SMS provider sees). Random, never derived from the message: it is logged, is a
 * Redis key and a mail header, and anything computed from the code would give the code away to a
 * search of its 10^6 candidates.
 */
export function newMessageId(): string {
  return `otp_${randomBytes(16).toString('hex')}`;
}

/** The wait after the n-th failed attempt: base × 2^(n-1), at most 10 minutes. */
export function retryDelayMs(retryBaseMs: number, failedAttempts: number): number {
  return Math.min(MAX_BACKOFF_MS, retryBaseMs * 2 ** (failedAttempts - 1));
}

export function statsWithStatus(counts: Omit<DeliveryStats, 'status'>, policy: QueuePolicy): DeliveryStats {
  const degraded = counts.queued >= policy.degradedBacklog || counts.deadLetteredLast15m >= policy.degradedFailures;
  return { status: degraded ? 'degraded' : 'ok', ...counts };
}

export type AttemptOutcome = { delivered: true } | { delivered: false; final: boolean; permanent: boolean; reason: string };

/**
 * One attempt at one message, as both queues make it: logs the message id, channel and outcome
 * (never the code, nor whether the message held one), and says whether a failure is final (permanent, or the last attempt).
 */
export async function attemptDelivery(
  transport: Transport,
  logger: Logger,
  metrics: Metrics,
  history: DeliveryHistory,
  job: { id: string; message: OtpMessage; attempt: number },
  policy: Pick<QueuePolicy, 'maxAttempts' | 'retryBaseMs'>,
): Promise<AttemptOutcome> {
  const { id, message, attempt } = job;
  const channel = transport.channelFor?.(message) ?? transport.name;
  const who = `${id} to ${maskRecipient(message.recipient.value)} via ${channel}`;
  const codeChannel = channelOf(message.recipient.kind);
  try {
    await transport.deliver(message, id);
  } catch (error) {
    const reason = maskRecipientsIn(String((error as Error)?.message ?? error).slice(0, 200));
    const permanent = error instanceof PermanentDeliveryError;
    const final = permanent || attempt >= policy.maxAttempts;
    history.record(codeChannel, final ? 'dead_lettered' : 'retried');
    if (final) metrics.deliveryFailures.inc({ channel: codeChannel });
    if (final) logger.error(`${who}: ${reason} (attempt ${attempt}); dead-lettered${permanent ? ' (not retryable)' : ''}`);
    else logger.warn(`${who}: ${reason} (attempt ${attempt}); retrying in ${retryDelayMs(policy.retryBaseMs, attempt)} ms`);
    return { delivered: false, final, permanent, reason };
  }
  metrics.codesDelivered.inc({ channel: codeChannel });
  history.record(codeChannel, 'delivered');
  logger.log(`${who}: delivered (attempt ${attempt})`);
  return { delivered: true };
}

interface Job {
  id: string;
  message: OtpMessage;
  attempts: number;
}

const KEPT_DEAD_LETTERS = 50;

/**
 * The queue of the embedded default (no Redis): sends in the background so otp/request answers at
 * once, with the same idempotency key, retry policy, dead-lettering and logs as the Redis queue.
 * Jobs waiting for a retry do not survive a restart.
 */
export class InProcessDeliveryQueue extends DeliveryQueue implements OnModuleDestroy {
  private readonly logger = new Logger('Delivery');
  private readonly jobs = new Map<string, Job>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new ChurnSet<Promise<void>>();
  private readonly deadLetters: DeadLetter[] = [];
  private deadLettered = 0;
  private delivered = 0;

  constructor(
    private readonly transport: Transport,
    private readonly policy: QueuePolicy,
    private readonly metrics: Metrics,
    private readonly history: DeliveryHistory,
    private readonly clock: Clock,
  ) {
    super();
  }

  async send(message: OtpMessage): Promise<void> {
    const id = newMessageId();
    const job = { id, message, attempts: 0 };
    this.jobs.set(id, job);
    this.run(job);
  }

  async stats(): Promise<DeliveryStats> {
    const since = this.clock.now().getTime() - DEGRADED_WINDOW_MS;
    const deadLetteredLast15m = this.deadLetters.filter((letter) => Date.parse(letter.failedAt) > since).length;
    return statsWithStatus(
      { queued: this.jobs.size, delivered: this.delivered, deadLettered: this.deadLettered, deadLetteredLast15m },
      this.policy,
    );
  }

  async recentDeadLetters(limit: number): Promise<DeadLetter[]> {
    return this.deadLetters.slice(0, limit);
  }

  /** Lets attempts under way finish; retries not yet due are dropped (and logged). */
  async onModuleDestroy(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.allSettled(this.inFlight);
    if (this.jobs.size) this.logger.warn(`${this.jobs.size} message(s) waiting for a retry were not sent before shutdown`);
  }

  private run(job: Job): void {
    const attempt = this.attempt(job).finally(() => this.inFlight.delete(attempt));
    this.inFlight.add(attempt);
  }

  private async attempt(job: Job): Promise<void> {
    job.attempts += 1;
    const outcome = await attemptDelivery(
      this.transport,
      this.logger,
      this.metrics,
      this.history,
      { id: job.id, message: job.message, attempt: job.attempts },
      this.policy,
    );
    if (outcome.delivered) {
      this.jobs.delete(job.id);
      this.delivered += 1;
      return;
    }
    if (outcome.final) {
      this.jobs.delete(job.id);
      this.deadLettered += 1;
      const { purpose, recipient } = job.message;
      this.deadLetters.unshift({
        messageId: job.id,
        purpose,
        to: maskRecipient(recipient.value),
        reason: outcome.reason,
        attempts: job.attempts,
        failedAt: this.clock.now().toISOString(),
      });
      this.deadLetters.length = Math.min(this.deadLetters.length, KEPT_DEAD_LETTERS);
      return;
    }
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.run(job);
      },
      retryDelayMs(this.policy.retryBaseMs, job.attempts),
    );
    timer.unref();
    this.timers.add(timer);
  }
}
