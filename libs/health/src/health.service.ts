import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { withTimeout } from '#common';
import { RedisConnection } from '#redis';

export type DependencyState = 'up' | 'down' | 'in-process';

const CHECK_TIMEOUT_MS = 1500;

@Injectable()
export class HealthService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Optional() @Inject(RedisConnection) private readonly redis: RedisConnection | null,
  ) {}

  async check(): Promise<{ database: DependencyState; redis: DependencyState }> {
    const [database, redis] = await Promise.all([
      probe(() => this.dataSource.query('SELECT 1')),
      this.redis ? probe(() => this.redis!.ping()) : Promise.resolve<DependencyState>('in-process'),
    ]);
    return { database, redis };
  }
}

async function probe(check: () => Promise<unknown>): Promise<DependencyState> {
  try {
    await withTimeout(check(), CHECK_TIMEOUT_MS, 'health check timed out');
    return 'up';
  } catch {
    return 'down';
  }
}
