import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** A session as people see it: one refresh-token family, from sign-in to its last refresh. */
export interface SessionView {
  /** The family id: stable across refreshes, and the `sid` claim of its access tokens. */
  id: string;
  userId: string;
  createdAt: Date;
  /** When it signed in or last refreshed its tokens. */
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
}

interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date | string;
  last_used_at: Date | string;
  expires_at: Date | string;
  user_agent: string | null;
  ip: string | null;
}

// The family's live token (rotation keeps exactly one) says where it was last used; its first one, when it began.
const LIVE_SESSIONS = `
  SELECT live.family_id AS id, live.user_id, live.user_agent, live.ip, live.created_at AS last_used_at, live.expires_at,
         (SELECT min(first.created_at) FROM refresh_tokens first WHERE first.family_id = live.family_id) AS created_at
  FROM refresh_tokens live
  WHERE live.revoked_at IS NULL AND live.expires_at > now()`;

/** Reads sessions; ending them is TokensService's (revokeFamily, revokeAllSessions). */
@Injectable()
export class SessionsService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** The user's live sessions, most recently used first (at most 100). */
  async listLive(userId: string): Promise<SessionView[]> {
    const rows = (await this.dataSource.query(`${LIVE_SESSIONS} AND live.user_id = $1 ORDER BY live.created_at DESC LIMIT 100`, [
      userId,
    ])) as SessionRow[];
    return rows.map(toView);
  }

  async findLive(sessionId: string, manager: EntityManager = this.dataSource.manager): Promise<SessionView | undefined> {
    const rows = (await manager.query(`${LIVE_SESSIONS} AND live.family_id = $1`, [sessionId])) as SessionRow[];
    return rows[0] && toView(rows[0]);
  }
}

function toView(row: SessionRow): SessionView {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: new Date(row.created_at),
    lastUsedAt: new Date(row.last_used_at),
    expiresAt: new Date(row.expires_at),
    userAgent: row.user_agent,
    ip: row.ip,
  };
}
