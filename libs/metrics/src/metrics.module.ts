import { createServer, type Server } from 'node:http';
import { type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '#common';
import { AppConfig } from '#config';
import { Metrics } from './metrics.js';
import { metricsHandler, sendError } from './metrics-http.js';

/** METRICS_PORT: /metrics on a port of its own (say, one only the Prometheus network reaches). */
@Injectable()
class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { enabled, port, token } = this.config.metrics;
    if (!enabled || port === undefined) return;
    const handle = metricsHandler(this.metrics, token);
    this.server = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') return handle(req, res);
      sendError(res, new DomainError('NOT_FOUND', 'Only GET /metrics is served here.'));
    });
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(port, this.config.http.host, resolve));
    new Logger('Metrics').log(`Serving /metrics on port ${port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.server) await new Promise((resolve) => this.server!.close(resolve));
  }
}

/** Reads the pool's numbers at each scrape (Postgres only; the embedded database has no pool). */
function watchPool(metrics: Metrics, dataSource: DataSource | null): void {
  const pool = (dataSource?.driver as { master?: { totalCount?: number; idleCount: number; waitingCount: number } } | undefined)?.master;
  if (typeof pool?.totalCount !== 'number') return;
  metrics.watch(() => {
    metrics.dbPoolInUse.set(pool.totalCount! - pool.idleCount);
    metrics.dbPoolIdle.set(pool.idleCount);
    metrics.dbPoolWaiting.set(pool.waitingCount);
  });
}

/** One Metrics per application (global); the API serves it at /metrics or on METRICS_PORT. */
@Module({})
export class MetricsModule {
  static forRoot(options: { serve: boolean }): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      providers: [
        {
          provide: Metrics,
          inject: [{ token: DataSource, optional: true }],
          useFactory: (dataSource: DataSource | null) => {
            const metrics = new Metrics();
            watchPool(metrics, dataSource);
            return metrics;
          },
        },
        ...(options.serve ? [MetricsServer] : []),
      ],
      exports: [Metrics],
    };
  }
}
