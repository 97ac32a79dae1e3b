import { MigrationExecutor, type DataSource, type Migration } from 'typeorm';

// Any constant both instances agree on: the advisory-lock key for "migrating this database".
const MIGRATION_LOCK_KEY = 0x6f7470; // 'otp'
const LOCK_WAIT_MS = 120_000;
const LOCK_POLL_MS = 250;

export class MigrationLockTimeoutError extends Error {
  constructor() {
    super(`another process held the migration lock for over ${LOCK_WAIT_MS / 1000} s`);
  }
}

/**
 * Runs pending migrations with a Postgres advisory lock held, so that N instances starting at once
 * against a fresh database migrate it once: the first applies, the others wait, then find nothing
 * pending. (TypeORM takes no lock of its own; without this two instances both CREATE TABLE and one
 * dies.) The lock and the migrations share one transaction: a transaction-scoped lock is the kind
 * PgBouncer's transaction pooling keeps on one server connection, it ends with the transaction
 * whatever happens, and a failed migration leaves nothing half-applied.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<Migration[]> {
  // On one connection: the embedded database and the CLI's shared socket have only one.
  const runner = dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    try {
      // Polling pg_try_advisory_xact_lock rather than blocking keeps every statement under statement_timeout.
      const deadline = Date.now() + LOCK_WAIT_MS;
      for (;;) {
        const [{ locked }] = await runner.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [MIGRATION_LOCK_KEY]);
        if (locked) break;
        if (Date.now() > deadline) throw new MigrationLockTimeoutError();
        await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      }
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'none'; // already inside ours
      const applied = await executor.executePendingMigrations();
      await runner.commitTransaction();
      return applied;
    } catch (error) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.release();
  }
}
