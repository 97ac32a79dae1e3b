import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from 'typeorm';
import { AppConfig } from '#config';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';
import { buildDataSourceOptions, migrations } from './data-source-options.js';
import { runMigrationsExclusively } from './run-migrations.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Entities = MixedList<Function | string | EntitySchema>;

export interface DatabaseModuleOptions {
  /** false leaves migrations to an explicit command, as the CLI does. */
  runMigrations?: boolean;
  /** The server: serve the embedded database on a loopback port for the CLI and psql. */
  shareEmbedded?: boolean;
  /** The CLI: when a running server holds the embedded database, use it through that port. */
  joinRunningServer?: boolean;
}

const cleanups: (() => void | Promise<void>)[] = [];

@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Opens the data source for the given entities on the backend the config selects. */
  static forRoot(entities: Entities, options: DatabaseModuleOptions = {}): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DataSource,
          inject: [AppConfig],
          useFactory: async (config: AppConfig) => {
            const logger = new Logger('Database');
            let dataSourceOptions = await buildDataSourceOptions(config, entities);
            let where =
              config.database.kind === 'postgres'
                ? 'Postgres (DATABASE_URL)'
                : `embedded PGlite (${config.database.dataDir ?? 'in memory'})`;
            const dataDir = config.database.kind === 'pglite' ? config.database.dataDir : undefined;
            const share = dataDir ? await import('./pglite-share.js') : undefined;
            if (dataDir) {
              try {
                cleanups.push(lockDataDir(dataDir));
              } catch (error) {
                const url = error instanceof DataDirInUseError && options.joinRunningServer ? share?.sharedPGliteUrl(dataDir) : undefined;
                if (!url) throw error;
                dataSourceOptions = joinedServerOptions(url, entities);
                where = `the running server's embedded database (${url})`;
              }
            }
            const runMigrations = options.runMigrations !== false && dataSourceOptions.migrationsRun === true;
            const dataSource = new DataSource({ ...dataSourceOptions, migrationsRun: false });
            await dataSource.initialize();
            if (runMigrations) await runMigrationsExclusively(dataSource);
            if (dataDir && share && options.shareEmbedded && dataSourceOptions.driver)
              cleanups.push(await share.sharePGliteOnLoopback(dataDir));
            logger.log(`Using ${where}`);
            return dataSource;
          },
        },
      ],
      exports: [DataSource],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  }
}

/** Postgres over the loopback socket, with PGlite's limits (no uuid-ossp, one session). */
function joinedServerOptions(url: string, entities: Entities): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    synchronize: false,
    logging: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    poolSize: 1,
    extra: { max: 1, connectionTimeoutMillis: 3000 },
  };
}
