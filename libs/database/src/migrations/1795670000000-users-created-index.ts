import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The admin API's user list pages newest first by (created_at, id): read from this index, not a sort. */
export class UsersCreatedIndex1795670000000 implements MigrationInterface {
  name = 'UsersCreatedIndex1795670000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('CREATE INDEX users_created_idx ON users (created_at DESC, id DESC)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX users_created_idx');
  }
}
