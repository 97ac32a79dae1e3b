import { Global, Inject, Logger, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Clock } from '#common';
import { AppConfig } from '#config';
import { KeyValueStore, MemoryKeyValueStore } from './key-value-store.js';
import { RedisKeyValueStore } from './key-value-store.redis.js';
import { RedisConnection } from './redis-connection.js';

/**
 * Provides the RedisConnection when REDIS_URL or REDIS_CLUSTER_NODES is set, and `null` on the
 * embedded default; and the KeyValueStore on one or the other, so that consumers of short-lived
 * keyed state never choose between them.
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
    {
      provide: KeyValueStore,
      inject: [{ token: RedisConnection, optional: true }, Clock],
      useFactory: (redis: RedisConnection | null, clock: Clock) => (redis ? new RedisKeyValueStore(redis) : new MemoryKeyValueStore(clock)),
    },
  ],
  exports: [RedisConnection, KeyValueStore],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(RedisConnection) private readonly redis: RedisConnection | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.close();
  }
}
