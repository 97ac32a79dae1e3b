import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { Clock } from '#common';
import { AppConfig } from '#config';
import { WebhookDelivery } from './webhook.entities.js';
import { WebhooksService } from './webhooks.service.js';

const BATCH = 20;
const MAX_BACKOFF_MS = 6 * 3600_000;

interface Claimed {
  id: string;
  endpoint_id: string;
  payload: string;
  attempts: number;
  url: string;
  secret: string;
}

/**
 * Sends what the outbox holds, from every API instance: each one claims due deliveries with
 * FOR UPDATE SKIP LOCKED and a lease (a crashed instance's claims fall due again), posts them
 * signed per Standard Webhooks, and records the outcome: delivered, a retry after an exponential
 * backoff, or dead after WEBHOOK_MAX_ATTEMPTS. At least once; the webhook-id never changes.
 * Requests to the API never wait for any of this.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private timer?: NodeJS.Timeout;
  private tick?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.webhooks.syncConfiguredEndpoints();
    this.timer = setInterval(() => {
      this.tick ??= this.dispatchDue()
        .catch((error: unknown) => this.logger.warn(`Could not dispatch webhooks: ${String((error as Error)?.message ?? error)}`))
        .finally(() => (this.tick = undefined));
    }, this.config.webhooks.pollMs);
    this.timer.unref();
  }

  /** Stops claiming; sends already under way finish (each is bounded by WEBHOOK_TIMEOUT_MS). */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.tick;
  }

  /** Claims and sends due deliveries until none are left. */
  async dispatchDue(): Promise<void> {
    while (!this.stopped) {
      const claimed = await this.claim();
      await Promise.all(claimed.map((delivery) => this.send(delivery)));
      if (claimed.length < BATCH) return;
    }
  }

  private claim(): Promise<Claimed[]> {
    const leaseSeconds = Math.ceil(this.config.webhooks.timeoutMs / 1000) + 30;
    return this.dataSource.transaction(async (manager) => {
      const rows: Claimed[] = await manager.query(
        `SELECT d.id, d.endpoint_id, d.payload, d.attempts, e.url, e.secret
           FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.enabled
          ORDER BY d.next_attempt_at
          LIMIT ${BATCH}
            FOR UPDATE OF d SKIP LOCKED`,
      );
      if (rows.length) {
        await manager.query(`UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => $2) WHERE id = ANY($1)`, [
          rows.map((r) => r.id),
          leaseSeconds,
        ]);
      }
      return rows;
    });
  }

  private async send(delivery: Claimed): Promise<void> {
    const attempt = delivery.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const secret = this.webhooks.cipher.decrypt(delivery.secret, delivery.endpoint_id);
      // Whole seconds, as the webhook-timestamp header carries it; the signature covers the same value.
      const sentAt = new Date(Math.floor(this.clock.now().getTime() / 1000) * 1000);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'otp-auth-webhooks/1',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(sentAt.getTime() / 1000),
      };
      const signature = new Webhook(secret).sign(delivery.id, sentAt, delivery.payload);
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: { ...headers, 'webhook-signature': signature },
        body: delivery.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.webhooks.timeoutMs),
      });
      status = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (!response.ok) error = `HTTP ${response.status}`;
    } catch (caught) {
      error = describe(caught);
    }
    const repository = this.dataSource.getRepository(WebhookDelivery);
    const target = new URL(delivery.url);
    if (!error) {
      await repository.update(
        { id: delivery.id },
        { status: 'delivered', attempts: attempt, lastStatus: status, lastError: null, deliveredAt: this.clock.now() },
      );
      this.logger.log(`${delivery.id} → ${target.host}${target.pathname}: delivered (${status}, attempt ${attempt})`);
      return;
    }
    const dead = attempt >= this.config.webhooks.maxAttempts;
    const nextAttemptAt = new Date(this.clock.now().getTime() + backoffMs(this.config.webhooks.retryBaseMs, attempt));
    await repository.update(
      { id: delivery.id },
      { status: dead ? 'dead' : 'pending', attempts: attempt, lastStatus: status, lastError: error.slice(0, 300), nextAttemptAt },
    );
    this.logger.warn(
      `${delivery.id} → ${target.host}${target.pathname}: ${error} (attempt ${attempt}); ${dead ? 'giving up: dead' : `retrying at ${nextAttemptAt.toISOString()}`}`,
    );
  }
}

/** base × 4^(attempt-1), capped, ±20 % so that retries after an outage do not arrive in lockstep. */
export function backoffMs(baseMs: number, attempt: number): number {
  const raw = Math.min(MAX_BACKOFF_MS, baseMs * 4 ** (attempt - 1));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.message ?? String(error);
}
