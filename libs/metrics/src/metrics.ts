import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How a code reaches its owner: by the kind of identifier (the transport behind it is config). */
export type CodeChannel = 'email' | 'sms';
export const channelOf = (identifierKind: string): CodeChannel => (identifierKind === 'email' ? 'email' : 'sms');

/**
 * The process's Prometheus registry and every metric the service records. Services take this
 * and count what they do; /metrics renders it. Gauges that reflect other systems (the queue, the
 * pool) are read when scraped, through `watch`.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly codesRequested = this.counter(
    'otp_codes_requested_total',
    'One-time codes requested (a notice sent instead of a code included)',
    ['purpose', 'channel'],
  );
  readonly codesDelivered = this.counter(
    'otp_codes_delivered_total',
    'Messages handed over to the mail server, SMS provider or development outbox',
    ['channel'],
  );
  readonly deliveryFailures = this.counter('otp_delivery_failures_total', 'Messages given up on (dead-lettered)', ['channel']);
  readonly smsBudgetRefusals = this.counter(
    'otp_sms_budget_refusals_total',
    'Code requests refused because the hourly SMS budget (all numbers, or the country) was spent',
    ['country'],
  );
  readonly captchaChecks = this.counter(
    'otp_captcha_checks_total',
    'CAPTCHA checks on code requests, by outcome: passed, missing, refused, unavailable (refused), failed_open (let through)',
    ['outcome'],
  );
  readonly codesVerified = this.counter('otp_codes_verified_total', 'Codes verified', ['purpose', 'channel']);
  readonly verifyFailures = this.counter(
    'otp_verify_failures_total',
    'Failed verifications, by reason: wrong, expired (or no code), burned, locked',
    ['purpose', 'channel', 'reason'],
  );
  readonly codesLocked = this.counter('otp_codes_locked_total', 'Codes burned by too many wrong guesses, and identifiers locked', [
    'purpose',
    'channel',
    'scope',
  ]);
  readonly tokensIssued = this.counter('auth_tokens_issued_total', 'Token pairs issued, by flow: register, login, refresh', ['flow']);
  readonly tokensRefreshed = this.counter('auth_tokens_refreshed_total', 'Refresh tokens rotated', []);
  readonly reuseDetected = this.counter(
    'auth_refresh_reuse_detected_total',
    'Rotated refresh tokens presented again (their session family is revoked)',
    [],
  );
  readonly rateLimitHits = this.counter('rate_limit_hits_total', 'Requests refused by a per-IP limit, by route template', ['route']);

  readonly deliveryQueueDepth = this.gauge('otp_delivery_queue_depth', 'Messages waiting to be sent, being sent, or waiting for a retry');
  readonly deliveryDeadLetters = this.gauge(
    'otp_delivery_dead_letters',
    'Dead letters kept (Redis: the last 7 days; in process: since start)',
  );
  readonly dbPoolInUse = this.gauge('db_pool_connections_in_use', 'Database connections checked out of the pool');
  readonly dbPoolIdle = this.gauge('db_pool_connections_idle', 'Database connections idle in the pool');
  readonly dbPoolWaiting = this.gauge('db_pool_waiting_requests', 'Queries waiting for a database connection');

  private readonly watchers: (() => Promise<void> | void)[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Known series start at 0, so rate() and alerts see them before the first event.
    for (const purpose of ['REGISTER', 'LOGIN', 'CHANGE_IDENTIFIER']) {
      for (const channel of ['email', 'sms']) {
        this.codesRequested.inc({ purpose, channel }, 0);
        this.codesVerified.inc({ purpose, channel }, 0);
        for (const reason of ['wrong', 'expired', 'burned', 'locked']) this.verifyFailures.inc({ purpose, channel, reason }, 0);
      }
    }
    for (const channel of ['email', 'sms']) {
      this.codesDelivered.inc({ channel }, 0);
      this.deliveryFailures.inc({ channel }, 0);
    }
    for (const flow of ['register', 'login', 'refresh']) this.tokensIssued.inc({ flow }, 0);
    for (const outcome of ['passed', 'missing', 'refused', 'unavailable', 'failed_open']) this.captchaChecks.inc({ outcome }, 0);
  }

  /** Runs before each scrape, to set gauges from systems that are asked rather than told. */
  watch(update: () => Promise<void> | void): void {
    this.watchers.push(update);
  }

  /** Runs the watchers; one that fails (Redis down) leaves its gauges as they were. */
  async refreshWatched(): Promise<void> {
    await Promise.allSettled(this.watchers.map(async (update) => update()));
  }

  /** The text format, watched gauges refreshed first. */
  async render(): Promise<string> {
    await this.refreshWatched();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }
}
