import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface DashboardCounts {
  users: number;
  blockedUsers: number;
  signUps24h: number;
  logins24h: number;
  otpLockouts24h: number;
  reuseDetections24h: number;
  activeSessions: number;
}

/** The admin dashboard's numbers, in one round trip. Activity counts come from the audit log. */
@Injectable()
export class DashboardService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async counts(): Promise<DashboardCounts> {
    const [row] = (await this.dataSource.query(`
      SELECT
        (SELECT count(*) FROM users)::int AS "users",
        (SELECT count(*) FROM users WHERE NOT is_active)::int AS "blockedUsers",
        (SELECT count(*) FROM users WHERE created_at > now() - interval '24 hours')::int AS "signUps24h",
        (SELECT count(*) FROM audit_events WHERE type = 'user.logged_in' AND created_at > now() - interval '24 hours')::int AS "logins24h",
        (SELECT count(*) FROM audit_events WHERE type = 'otp.locked' AND created_at > now() - interval '24 hours')::int AS "otpLockouts24h",
        (SELECT count(*) FROM audit_events WHERE type = 'token.reuse_detected' AND created_at > now() - interval '24 hours')::int AS "reuseDetections24h",
        (SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL AND expires_at > now())::int AS "activeSessions"
    `)) as DashboardCounts[];
    return row;
  }
}
