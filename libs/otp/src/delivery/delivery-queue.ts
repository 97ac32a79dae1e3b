import { createHash } from 'node:crypto';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { DeliveryChannel, type OtpMessage } from './delivery-channel.js';

/** A channel that really sends, and may fail: the queue retries it. */
export interface Transport {
  readonly name: string;
  /** The channel a message goes out on, for the log (a router names the one it picks). */
  channelFor?(message: OtpMessage): string;
  /** `messageId` is the same on every attempt at one message (the idempotency key). */
  deliver(message: OtpMessage, messageId: string): Promise<void>;
}

/** A failure that retrying cannot fix (no channel for this kind of identifier, a refused address). */
export class PermanentDeliveryError extends Error {}

export interface RetryPolicy {
  maxAttempts: number;
  retryBaseMs: number;
}

interface Job {
  id: string;
  message: OtpMessage;
  attempts: number;
}

const MAX_BACKOFF_MS = 10 * 60_000;

/** Who a line of the log is about, without the whole address: j***@example.com, +49***89. */
export function maskRecipient(value: string): string {
  const at = value.indexOf('@');
  if (at > 0) return `${value[0]}***${value.slice(at)}`;
  return `${value.slice(0, 3)}***${value.slice(-2)}`;
}

/**
 * Sends in the background so otp/request answers at once: each message is a job keyed by a hash of
 * what it says (so the same code is never queued twice), attempted, and on failure retried after
 * retryBaseMs × 2^(n-1) up to maxAttempts, then dead-lettered (logged, counted). Every attempt
 * logs the message id, channel and outcome, never the code. In process: jobs waiting for a retry
 * do not survive a restart.
 */
export class InProcessDeliveryQueue extends DeliveryChannel implements OnModuleDestroy {
  private readonly logger = new Logger('Delivery');
  private readonly jobs = new Map<string, Job>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private deadLettered = 0;
  private delivered = 0;

  constructor(
    private readonly transport: Transport,
    private readonly policy: RetryPolicy,
  ) {
    super();
  }

  async send(message: OtpMessage): Promise<void> {
    const id = messageIdOf(message);
    if (this.jobs.has(id)) return; // already queued: the same message, the same code
    const job = { id, message, attempts: 0 };
    this.jobs.set(id, job);
    this.run(job);
  }

  /** Backlog and failures, for readiness and the dashboard. */
  stats(): { queued: number; delivered: number; deadLettered: number } {
    return { queued: this.jobs.size, delivered: this.delivered, deadLettered: this.deadLettered };
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
    const channel = this.transport.channelFor?.(job.message) ?? this.transport.name;
    const who = `${job.id} ${job.message.kind} to ${maskRecipient(job.message.recipient.value)} via ${channel}`;
    try {
      await this.transport.deliver(job.message, job.id);
      this.jobs.delete(job.id);
      this.delivered += 1;
      this.logger.log(`${who}: delivered (attempt ${job.attempts})`);
      return;
    } catch (error) {
      const reason = String((error as Error)?.message ?? error).slice(0, 200);
      const permanent = error instanceof PermanentDeliveryError;
      if (permanent || job.attempts >= this.policy.maxAttempts) {
        this.jobs.delete(job.id);
        this.deadLettered += 1;
        this.logger.error(`${who}: ${reason} (attempt ${job.attempts}); dead-lettered${permanent ? ' (not retryable)' : ''}`);
        return;
      }
      const delay = Math.min(MAX_BACKOFF_MS, this.policy.retryBaseMs * 2 ** (job.attempts - 1));
      this.logger.warn(`${who}: ${reason} (attempt ${job.attempts}); retrying in ${delay} ms`);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.run(job);
      }, delay);
      timer.unref();
      this.timers.add(timer);
    }
  }
}

/** The idempotency key: the same message (kind, purpose, recipient, code) always gets the same id. */
function messageIdOf(message: OtpMessage): string {
  const digest = createHash('sha256').update([message.kind, message.purpose, message.recipient.value, message.code ?? ''].join('\n')).digest('hex');
  return `otp_${digest.slice(0, 32)}`;
}
