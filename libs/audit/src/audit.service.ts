import { AtomicWrite, RequestContext, newestFirstPage, type Page, type PageRequest } from '#common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from './actor.js';
import { AuditEvent, type AuditDetails, type AuditEventType } from './audit-event.entity.js';

export interface AuditListQuery extends PageRequest {
  type?: AuditEventType;
  actorId?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
}

export interface AuditEntry {
  type: AuditEventType;
  /** Who did it: fills actorId, ip and details.via. */
  actor?: Actor;
  actorId?: string | null;
  targetId?: string | null;
  ip?: string | null;
  details?: AuditDetails;
}

@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Writes the event, inside the caller's transaction when given one, so the event and the change
   * it describes commit together. Also logged as one structured line.
   */
  async record(given: AuditEntry, manager: EntityManager = this.dataSource.manager): Promise<void> {
    const write = new AtomicWrite();
    this.recordIn(write, given);
    await write.run(manager, 'SELECT 1');
  }

  /** The event as a part of `write`, so it commits with the change it describes; logged once the write has run. */
  recordIn(write: AtomicWrite, given: AuditEntry): void {
    const entry = withActor(given);
    const v = (value: unknown, type: string) => write.value(value, type);
    write.add(
      `INSERT INTO audit_events (type, actor_id, target_id, ip, request_id, details)
       SELECT ${v(entry.type, 'varchar')}, ${v(entry.actorId ?? null, 'uuid')}, ${v(entry.targetId ?? null, 'uuid')},
              ${v(entry.ip?.slice(0, 64) ?? null, 'varchar')}, ${v(RequestContext.current()?.requestId ?? null, 'varchar')},
              ${v(entry.details ? JSON.stringify(entry.details) : null, 'jsonb')}
       WHERE ${write.condition}`,
    );
    write.afterRun(() =>
      this.logger.log(
        JSON.stringify({
          audit: entry.type,
          actor: entry.actorId ?? null,
          target: entry.targetId ?? null,
          ip: entry.ip ?? null,
          ...entry.details,
        }),
      ),
    );
  }

  /** The newest events first, optionally of one type: for the CLI. */
  recent(options: { type?: AuditEventType; limit?: number } = {}): Promise<AuditEvent[]> {
    return this.dataSource.getRepository(AuditEvent).find({
      where: options.type ? { type: options.type } : {},
      order: { createdAt: 'DESC' },
      take: options.limit ?? 50,
    });
  }

  /** Operators' search: by type, actor, target and time, newest first, a page at a time. */
  list(query: AuditListQuery): Promise<Page<AuditEvent>> {
    const builder = this.dataSource.getRepository(AuditEvent).createQueryBuilder('e');
    if (query.type) builder.andWhere('e.type = :type', { type: query.type });
    if (query.actorId) builder.andWhere('e.actor_id = :actorId', { actorId: query.actorId });
    if (query.targetId) builder.andWhere('e.target_id = :targetId', { targetId: query.targetId });
    if (query.since) builder.andWhere('e.created_at >= :since', { since: query.since });
    if (query.until) builder.andWhere('e.created_at < :until', { until: query.until });
    return newestFirstPage(builder, query);
  }

  /** For events that follow a change made elsewhere (e.g. in Redis): a failed write is logged, not thrown. */
  async recordBestEffort(entry: AuditEntry): Promise<void> {
    await this.record(entry).catch((error: unknown) =>
      this.logger.warn(`Could not write audit event ${entry.type}: ${String((error as Error)?.message ?? error)}`),
    );
  }
}

function withActor({ actor, ...entry }: AuditEntry): AuditEntry {
  if (!actor) return entry;
  return { ...entry, actorId: actor.userId, ip: actor.ip ?? entry.ip, details: { via: actor.via, ...entry.details } };
}
