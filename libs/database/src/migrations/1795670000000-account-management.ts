import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The account-management API: its user list pages newest first by (created_at, id), read from an
 * index rather than sorted; and the development outbox holds the CHANGE_IDENTIFIER purpose (17
 * characters).
 */
export class AccountManagement1795670000000 implements MigrationInterface {
  name = 'AccountManagement1795670000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('CREATE INDEX users_created_idx ON users (created_at DESC, id DESC)');
    await db.query('ALTER TABLE dev_outbox ALTER COLUMN purpose TYPE varchar(32)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM dev_outbox WHERE length(purpose) > 16`);
    await db.query('ALTER TABLE dev_outbox ALTER COLUMN purpose TYPE varchar(16)');
    await db.query('DROP INDEX users_created_idx');
  }
}
