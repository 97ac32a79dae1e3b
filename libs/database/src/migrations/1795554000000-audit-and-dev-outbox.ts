import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit log, and the development channel's outbox for the embedded default (no Redis). */
export class AuditAndDevOutbox1795554000000 implements MigrationInterface {
  name = 'AuditAndDevOutbox1795554000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type varchar(64) NOT NULL,
        actor_id uuid NULL,
        target_id uuid NULL,
        ip varchar(64) NULL,
        details jsonb NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX audit_events_created_idx ON audit_events (created_at DESC)`);
    await db.query(`CREATE INDEX audit_events_type_idx ON audit_events (type, created_at DESC)`);
    await db.query(`CREATE INDEX audit_events_target_idx ON audit_events (target_id, created_at DESC)`);
    await db.query(`
      CREATE TABLE dev_outbox (
        purpose varchar(16) NOT NULL,
        identifier varchar(254) NOT NULL,
        kind varchar(32) NOT NULL,
        code varchar(10) NULL,
        sent_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (purpose, identifier)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE dev_outbox`);
    await db.query(`DROP TABLE audit_events`);
  }
}
