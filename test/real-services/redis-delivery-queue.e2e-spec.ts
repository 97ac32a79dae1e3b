import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { KeyCipher, SystemClock } from '#common';
import { DeliveryHistory, RedisDeliveryQueue, type OtpMessage } from '#delivery';
import { Metrics } from '#metrics';
import { MemoryKeyValueStore, RedisConnection } from '#redis';
import { DeliveryWorker, type DeliverySettings } from '../../libs/delivery/src/redis-delivery.queue.js';
import { eventually } from '../support/tcp-proxy.js';

// The Redis queue's own guarantees, on a real Redis, below the workers: leases, stale outcomes,
// retries, dead letters, and what Redis holds.
describe('the delivery queue in Redis', () => {
  let redis: RedisConnection;
  const queues: RedisDeliveryQueue[] = [];
  const cipher = new KeyCipher(randomBytes(32), 'queued message');
  beforeAll(async () => {
    redis = await RedisConnection.connect({ url: process.env.REDIS_URL! }, 1000);
    await eventually(async () => redis.isReady);
  });
  afterAll(async () => {
    for (const queue of queues) await redis.run((client) => client.del(queue.allKeys));
    await redis.close();
  });

  const policy: Omit<DeliverySettings, 'prefix'> = {
    maxAttempts: 3,
    retryBaseMs: 100,
    degradedBacklog: 100,
    degradedFailures: 10,
    concurrency: 10,
    sendTimeoutMs: 1000,
  };
  function newQueue(deadLettersKept?: number) {
    const settings = { ...policy, prefix: `{test-queue-${randomBytes(4).toString('hex')}}` };
    const queue = new RedisDeliveryQueue(redis, cipher, settings, deadLettersKept);
    queues.push(queue);
    return queue;
  }
  const message = (value: string, code = '123456'): OtpMessage => ({
    kind: 'code',
    purpose: 'LOGIN',
    recipient: { kind: 'email', value },
    code,
    expiresInSeconds: 300,
  });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('hands a leased message to no one else until its lease runs out, then to the next worker as a new attempt', async () => {
    const queue = newQueue();
    await queue.send(message('jane@example.com'));
    const [first] = await queue.take(10, 300);
    expect(first).toMatchObject({ attempt: 1, stored: { purpose: 'LOGIN', to: 'j***@example.com' } });
    expect(queue.open(first)).toEqual(message('jane@example.com'));
    expect(await queue.take(10, 300)).toEqual([]);

    await sleep(400);
    const [second] = await queue.take(10, 300);
    expect(second).toMatchObject({ id: first.id, attempt: 2 });

    // The first worker's late outcome changes nothing; the second's settles the message.
    await queue.delivered(first);
    expect(await queue.stats()).toMatchObject({ queued: 1, delivered: 0 });
    await queue.delivered(second);
    expect(await queue.stats()).toMatchObject({ queued: 0, delivered: 1, deadLettered: 0 });
    await sleep(400);
    expect(await queue.take(10, 300)).toEqual([]);
  });

  it('makes a retried message due again only after its wait', async () => {
    const queue = newQueue();
    await queue.send(message('jane@example.com'));
    const [taken] = await queue.take(10, 60_000);
    await queue.retryIn(taken, 300);
    expect(await queue.take(10, 60_000)).toEqual([]);
    await sleep(400);
    expect(await queue.take(10, 60_000)).toEqual([expect.objectContaining({ id: taken.id, attempt: 2 })]);
  });

  it('gives each of a thousand messages to exactly one of eight workers taking at once', async () => {
    const queue = newQueue();
    await Promise.all(Array.from({ length: 1000 }, (_, i) => queue.send(message(`user${i}@example.com`))));
    const takenBy = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let taken = await queue.take(7, 60_000); taken.length; taken = await queue.take(7, 60_000)) {
          for (const one of taken) {
            expect(takenBy.has(one.id)).toBe(false);
            takenBy.set(one.id, worker);
            await queue.delivered(one);
          }
        }
      }),
    );
    expect(takenBy.size).toBe(1000);
    expect(new Set(takenBy.values()).size).toBeGreaterThan(1);
    expect(await queue.stats()).toMatchObject({ queued: 0, delivered: 1000 });
  });

  it('keeps dead letters newest first and up to its bound, and holds no address or code anywhere', async () => {
    const queue = newQueue(3);
    for (let i = 0; i < 5; i++) {
      await queue.send(message(`dead${i}@example.com`, `99999${i}`));
      const [taken] = await queue.take(1, 60_000);
      await queue.deadLetter(taken, `550 refused (${i})`);
    }
    const letters = await queue.recentDeadLetters(10);
    expect(letters.map((letter) => letter.reason)).toEqual(['550 refused (4)', '550 refused (3)', '550 refused (2)']);
    expect(letters[0]).toEqual({
      messageId: expect.stringMatching(/^otp_[0-9a-f]{32}$/),
      purpose: 'LOGIN',
      to: 'd***@example.com',
      reason: '550 refused (4)',
      attempts: 1,
      failedAt: expect.any(String),
    });
    expect(Date.now() - Date.parse(letters[0].failedAt)).toBeLessThan(60_000);
    expect(await queue.stats()).toMatchObject({ status: 'ok', queued: 0, deadLettered: 3, deadLetteredLast15m: 3 });

    await queue.send(message('waiting@example.com', '424242'));
    // As an operator (or an attacker with a dump) reads it: every key of the queue, every value.
    const reader = createClient({ url: process.env.REDIS_URL });
    await reader.connect();
    const values: string[] = [];
    for (const key of queue.allKeys) {
      const type = await reader.type(key);
      if (type === 'hash') values.push(JSON.stringify(await reader.hGetAll(key)));
      if (type === 'zset') values.push(JSON.stringify(await reader.zRange(key, 0, -1)));
      if (type === 'string') values.push(String(await reader.get(key)));
    }
    await reader.quit();
    const dump = values.join('\n');
    expect(dump).toContain('otp_');
    for (let i = 0; i < 5; i++) expect(dump).not.toMatch(new RegExp(`dead${i}@|99999${i}`));
    expect(dump).not.toMatch(/waiting@|424242/);
  });

  it('has its worker send what is queued, and dead-letter unsent a message whose workers died on every attempt', async () => {
    const queue = newQueue();
    await queue.send(message('crashing@example.com'));
    // Three workers took it and died: each lease ran out without an outcome.
    for (let i = 0; i < policy.maxAttempts; i++) {
      expect(await queue.take(1, 1)).toHaveLength(1);
      await sleep(10);
    }
    const sent: string[] = [];
    const transport = { name: 'test', deliver: async (m: OtpMessage) => void sent.push(m.recipient.value) };
    const clock = new SystemClock();
    const worker = new DeliveryWorker(
      queue,
      transport,
      { ...policy, prefix: '' },
      new Metrics(),
      new DeliveryHistory(new MemoryKeyValueStore(clock), clock),
    );
    worker.onApplicationBootstrap();
    try {
      await queue.send(message('fine@example.com'));
      await eventually(async () => (await queue.stats()).queued === 0);
    } finally {
      await worker.onModuleDestroy();
    }
    expect(sent).toEqual(['fine@example.com']);
    expect(await queue.stats()).toMatchObject({ delivered: 1, deadLettered: 1 });
    expect(await queue.recentDeadLetters(1)).toEqual([
      expect.objectContaining({ to: 'c***@example.com', attempts: 4, reason: 'not settled after 3 attempts' }),
    ]);
  });
});
