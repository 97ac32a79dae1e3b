import { keyValueStoreContract } from '../../libs/redis/src/key-value-store.contract.js';
import { RedisKeyValueStore } from '../../libs/redis/src/key-value-store.redis.js';
import { RedisConnection } from '#redis';
import { eventually } from '../support/tcp-proxy.js';

// Real Redis: lifetimes are Redis's own, so "advance" waits for real.
keyValueStoreContract('Redis', async () => {
  const redis = await RedisConnection.connect({ url: process.env.REDIS_URL! }, 1000);
  await eventually(async () => redis.isReady);
  return {
    store: new RedisKeyValueStore(redis),
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    close: () => redis.close(),
  };
});
