import { createServer, type Server } from 'node:http';
import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AggregatorRegistry } from 'prom-client';
import { DataSource } from 'typeorm';
import { AppConfig } from '#config';
import { Metrics } from './metrics.js';
import { metricsPortListener } from './metrics-http.js';

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
    this.server = createServer(metricsPortListener(this.metrics, token));
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

/**
 * One of HTTP_WORKERS: the supervisor asks each worker for its registry at every scrape (prom-client's
 * AggregatorRegistry, over the cluster's IPC) and sums them; the gauges read from other systems are
 * refreshed here every 5 s, since that request does not run the watchers.
 */
@Injectable()
class ClusterWorkerMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  onApplicationBootstrap(): void {
    // Constructing one is what makes prom-client answer the supervisor's requests in a worker.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([this.metrics.registry]);
    this.timer = setInterval(() => void this.metrics.refreshWatched(), 5000).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}

/**
 * One Metrics per application (global). `serve`: the process serves it (at /metrics or on
 * METRICS_PORT); `cluster-worker`: the HTTP_WORKERS supervisor does, for all workers; `none`: the CLI.
 */
@Module({})
export class MetricsModule {
  static forRoot(options: { serve: 'self' | 'cluster-worker' | 'none' }): DynamicModule {
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
        ...(options.serve === 'self' ? [MetricsServer] : options.serve === 'cluster-worker' ? [ClusterWorkerMetrics] : []),
      ],
      exports: [Metrics],
    };
  }
}
