import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The request an audit event came from (X-Request-Id), to find its log lines. */
export class AuditRequestId1795660000000 implements MigrationInterface {
  name = 'AuditRequestId1795660000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE audit_events ADD COLUMN request_id varchar(128) NULL');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('ALTER TABLE audit_events DROP COLUMN request_id');
  }
}
