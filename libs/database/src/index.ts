export { buildDataSourceOptions, migrations } from './data-source-options.js';
export { DatabaseModule } from './database.module.js';
export { DataDirInUseError, lockDataDir } from './data-dir-lock.js';
export { MigrationLockTimeoutError, runMigrationsExclusively } from './run-migrations.js';
