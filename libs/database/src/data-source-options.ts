import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import type { AppConfig } from '#config';
import { namedStatementClient } from './named-statements.js';
import { InitialSchema1795478400000 } from './migrations/1795478400000-initial-schema.js';
import { AuditAndDevOutbox1795554000000 } from './migrations/1795554000000-audit-and-dev-outbox.js';
import { SigningKeys1795640000000 } from './migrations/1795640000000-signing-keys.js';
import { Webhooks1795650000000 } from './migrations/1795650000000-webhooks.js';
import { AuditRequestId1795660000000 } from './migrations/1795660000000-audit-request-id.js';
import { AccountManagement1795670000000 } from './migrations/1795670000000-account-management.js';

// Listed explicitly (not globbed) so the build, jest and the typeorm CLI all load the same set.
export const migrations = [
  InitialSchema1795478400000,
  AuditAndDevOutbox1795554000000,
  SigningKeys1795640000000,
  Webhooks1795650000000,
  AuditRequestId1795660000000,
  AccountManagement1795670000000,
];

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Entities = MixedList<Function | string | EntitySchema>;

/**
 * One factory for both backends: real Postgres through `pg`, or the embedded PGlite (Postgres
 * compiled to WASM) when no DATABASE_URL is set. Same entities, same migrations, same SQL. PGlite
 * (half a megabyte of code before its WASM) is loaded only for the embedded backend.
 */
export async function buildDataSourceOptions(config: AppConfig, entities: Entities): Promise<DataSourceOptions> {
  // logging off: TypeORM would print failed queries with their parameters (user data); the
  // exception filter logs what is unexpected.
  const common = { entities, migrations, synchronize: false, logging: false, migrationsTransactionMode: 'each' as const };
  if (config.database.kind === 'postgres') {
    const { url, poolSize, connectTimeoutMs, statementTimeoutMs, migrationsRun, preparedStatements } = config.database;
    return {
      ...common,
      type: 'postgres',
      url,
      migrationsRun,
      poolSize,
      // Bounded waits: a dead Postgres must turn into a 503 within seconds, not hang a request.
      connectTimeoutMS: connectTimeoutMs,
      extra: {
        max: poolSize,
        connectionTimeoutMillis: connectTimeoutMs,
        statement_timeout: statementTimeoutMs,
        query_timeout: statementTimeoutMs + 1000,
        idleTimeoutMillis: 30_000,
        application_name: 'otp-auth',
        ...(preparedStatements ? { Client: namedStatementClient() } : {}),
      },
    };
  }
  const { dataDir, migrationsRun } = config.database;
  if (dataDir) mkdirSync(dirname(dataDir), { recursive: true });
  const { exclusivePGliteDriver } = await import('./exclusive-pglite-pool.js');
  return {
    ...common,
    type: 'postgres',
    driver: exclusivePGliteDriver(dataDir),
    // PGlite ships no uuid-ossp; gen_random_uuid() is built into Postgres 13+.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    migrationsRun,
  } as DataSourceOptions;
}
