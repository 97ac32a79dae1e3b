import { Global, Inject, Logger, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { AppConfig } from '#config';
import { RedisConnection } from './redis-connection.js';

/**
 * Provides the RedisConnection when REDIS_URL or REDIS_CLUSTER_NODES is set, and `null` on the embedded default, where
 * each consumer uses its in-process implementation instead.
 */
@Global()
@Module({
  providers: [
    {
      provide: RedisConnection,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        if (config.redis.kind === 'memory') {
          new Logger('Redis').log('No REDIS_URL: using the in-process store (one process only)');
          return null;
        }
        new Logger('Redis').log('url' in config.redis.target ? 'Using Redis (REDIS_URL)' : 'Using Redis Cluster (REDIS_CLUSTER_NODES)');
        return RedisConnection.connect(config.redis.target, config.redis.commandTimeoutMs);
      },
    },
  ],
  exports: [RedisConnection],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(RedisConnection) private readonly redis: RedisConnection | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }
}
