import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeliveryStatsSource, type DeadLetter, type DeliveryStats } from '#delivery';
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
  ) {}

  async overview(): Promise<DashboardCounts & { delivery?: DeliveryOverview }> {
    const [counts, delivery] = await Promise.all([this.counts(), this.deliveryOverview()]);
    return delivery ? { ...counts, delivery } : counts;
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
