import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuditEventType } from '#audit';
import { Clock } from '#common';
import { KeyValueStore } from '#redis';
import { DELIVERY_OUTCOMES, DeliveryHistory, DeliveryStatsSource, type DeadLetter, type DeliveryStats } from '#delivery';
import { UsersService } from '#users';

export interface DashboardCounts {
  users: number;
  blockedUsers: number;
  signUps24h: number;
  logins24h: number;
  otpLockouts24h: number;
  reuseDetections24h: number;
  activeSessions: number;
}

/** What the dashboard charts, per hour: each event's count in each of the last HOURS_CHARTED hours. */
export const CHARTED_EVENTS = {
  signUps: 'user.signed_up',
  signIns: 'user.logged_in',
  codesBurned: 'otp.locked',
  identifiersLocked: 'otp.identifier_locked',
  limitRefusals: 'rate_limit.exceeded',
  adminSignInFailures: 'admin.sign_in_failed',
} as const satisfies Record<string, AuditEventType>;
export type ChartedEvent = keyof typeof CHARTED_EVENTS;
/** And the delivery history: `email_delivered`, `sms_retried`, `email_dead_lettered`… */
export const CHARTED_DELIVERIES = (['email', 'sms'] as const).flatMap((channel) =>
  DELIVERY_OUTCOMES.map((outcome) => `${channel}_${outcome}`),
);
export const HOURS_CHARTED = 7 * 24;
const HOUR_MS = 3_600_000;

export interface HourlyActivity {
  /** The start of each hour charted, oldest first (ISO, UTC); the last is the hour under way. */
  hours: string[];
  /** Per series (a ChartedEvent or a CHARTED_DELIVERIES name), its count in each hour. */
  counts: Record<string, number[]>;
}

type SeriesCount = { series: string; hour: number; n: number };

/** Live delivery only: the queue's numbers and the last messages it gave up on. */
export interface DeliveryOverview {
  stats: DeliveryStats | null;
  deadLetters: DeadLetter[];
}

/** The admin dashboard's numbers. Activity counts come from the audit log. */
@Injectable()
export class DashboardService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(DeliveryStatsSource) private readonly delivery: DeliveryStatsSource | null,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(KeyValueStore) private readonly kv: KeyValueStore,
    @Inject(DeliveryHistory) private readonly deliveries: DeliveryHistory,
  ) {}

  async overview(): Promise<DashboardCounts & { activity: HourlyActivity; delivery?: DeliveryOverview }> {
    const [counts, activity, delivery] = await Promise.all([this.counts(), this.hourlyActivity(), this.deliveryOverview()]);
    return delivery ? { ...counts, activity, delivery } : { ...counts, activity };
  }

  /**
   * The audit log counted per hour and charted type, through its (type, created_at) index (an hour
   * is its epoch / 3600, so no session time zone enters), and the delivery history's counters. The
   * week's closed hours never change (the log is append-only; a closed hour's counters are final),
   * so they are read once an hour, about 200 ms on a million audit rows, and kept in the
   * KeyValueStore; only the hour under way is read each time, about 1 ms.
   */
  async hourlyActivity(): Promise<HourlyActivity> {
    const currentHour = Math.floor(this.clock.now().getTime() / HOUR_MS);
    const firstHour = currentHour - HOURS_CHARTED + 1;
    const closedKey = `dashboard:closed-hours:${currentHour}`;
    let closed = await this.kv
      .get(closedKey)
      .then((cached) => (cached ? (JSON.parse(cached) as SeriesCount[]) : undefined))
      .catch(() => undefined);
    if (!closed) {
      const [audit, deliveries] = await Promise.all([
        this.auditPerHour(firstHour, currentHour),
        this.deliveriesPerHour(firstHour, currentHour),
      ]);
      closed = [...audit, ...(deliveries ?? [])];
      // A history that could not be read (Redis away) is not kept as zeros for the hour.
      if (deliveries) await this.kv.set(closedKey, JSON.stringify(closed), HOUR_MS).catch(() => undefined);
    }
    const [audit, deliveries] = await Promise.all([
      this.auditPerHour(currentHour, currentHour + 1),
      this.deliveriesPerHour(currentHour, currentHour + 1),
    ]);
    const names = [...Object.keys(CHARTED_EVENTS), ...CHARTED_DELIVERIES];
    const counts = Object.fromEntries(names.map((name) => [name, new Array<number>(HOURS_CHARTED).fill(0)]));
    for (const row of [...closed, ...audit, ...(deliveries ?? [])]) {
      const index = row.hour - firstHour;
      if (index >= 0 && index < HOURS_CHARTED) counts[row.series][index] += row.n;
    }
    const hours = Array.from({ length: HOURS_CHARTED }, (_, i) => new Date((firstHour + i) * HOUR_MS).toISOString());
    return { hours, counts };
  }

  private async auditPerHour(fromHour: number, toHour: number): Promise<SeriesCount[]> {
    const rows = (await this.dataSource.query(
      `SELECT type, floor(extract(epoch FROM created_at) / 3600)::int AS hour, count(*)::int AS n
         FROM audit_events WHERE type = ANY($1) AND created_at >= $2 AND created_at < $3 GROUP BY 1, 2`,
      [Object.values(CHARTED_EVENTS), new Date(fromHour * HOUR_MS), new Date(toHour * HOUR_MS)],
    )) as { type: AuditEventType; hour: number; n: number }[];
    const seriesOf = new Map(Object.entries(CHARTED_EVENTS).map(([series, type]) => [type as AuditEventType, series]));
    return rows.map((row) => ({ series: seriesOf.get(row.type)!, hour: row.hour, n: row.n }));
  }

  /** Undefined when the history cannot be read (Redis away): the chart shows what the log has. */
  private async deliveriesPerHour(fromHour: number, toHour: number): Promise<SeriesCount[] | undefined> {
    const rows = await this.deliveries.hourly(fromHour, toHour).catch(() => undefined);
    return rows?.map((row) => ({ series: `${row.channel}_${row.outcome}`, hour: row.hour, n: row.n }));
  }

  /** A dead Redis must not take the dashboard down with it: the numbers show as unknown. */
  private async deliveryOverview(): Promise<DeliveryOverview | undefined> {
    if (!this.delivery) return undefined;
    const [stats, deadLetters] = await Promise.all([
      this.delivery.stats().catch(() => null),
      this.delivery.recentDeadLetters(10).catch(() => []),
    ]);
    return { stats, deadLetters };
  }

  async counts(): Promise<DashboardCounts> {
    // Sign-ups are the accounts people made themselves: not the ones an operator created.
    const [users, [row]] = await Promise.all([
      this.users.counts(),
      this.dataSource.query(`
      SELECT
        (SELECT count(*) FROM audit_events WHERE type = 'user.signed_up' AND created_at > now() - interval '24 hours')::int AS "signUps24h",
        (SELECT count(*) FROM audit_events WHERE type = 'user.logged_in' AND created_at > now() - interval '24 hours')::int AS "logins24h",
        (SELECT count(*) FROM audit_events WHERE type = 'otp.locked' AND created_at > now() - interval '24 hours')::int AS "otpLockouts24h",
        (SELECT count(*) FROM audit_events WHERE type = 'token.reuse_detected' AND created_at > now() - interval '24 hours')::int AS "reuseDetections24h",
        (SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL AND expires_at > now())::int AS "activeSessions"
    `) as Promise<Omit<DashboardCounts, 'users' | 'blockedUsers'>[]>,
    ]);
    return { ...users, ...row };
  }
}
