import { otpStoreContract } from '../../libs/otp/src/otp-store.contract.js';
import { RedisOtpStore } from '../../libs/otp/src/otp-store.redis.js';
import { RedisConnection } from '#redis';
import { eventually } from '../support/tcp-proxy.js';

// Real Redis: TTLs are Redis's own, so "advance" waits for real.
otpStoreContract('Redis', async () => {
  const redis = await RedisConnection.connect({ url: process.env.REDIS_URL! }, 1000);
  await eventually(async () => redis.isReady);
  return {
    store: new RedisOtpStore(redis),
    advance: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    close: () => redis.close(),
  };
});
