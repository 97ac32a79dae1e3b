import type { Response } from 'supertest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { expectError } from '../support/expect-error.js';
import { startServer, startWorker } from '../support/cli.js';
import { newEmail } from '../support/factories.js';
import { codeIn, startSmtpServer, type Behaviour } from '../support/smtp-server.js';
import { TcpProxy, eventually, throughProxy } from '../support/tcp-proxy.js';

// Runs only when DATABASE_URL and REDIS_URL name real servers (see jest.config.mjs): the queue in
// Redis, with the API queueing and `npm run worker` processes sending.
describe('the delivery queue in Redis, with workers of their own', () => {
  const redis = createClient({ url: process.env.REDIS_URL });
  const cleanUps: (() => Promise<unknown>)[] = [];
  beforeAll(() => redis.connect());
  afterEach(async () => {
    for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
  });
  afterAll(() => redis.quit());

  /** A fresh queue (its own prefix) and a fresh SMTP server, with the environment for API and workers. */
  async function setUp(behaviour?: Behaviour) {
    const smtp = await startSmtpServer(behaviour);
    const prefix = `{test-${randomBytes(4).toString('hex')}}`;
    cleanUps.push(() => smtp.close());
    cleanUps.push(async () => {
      for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) if (keys.length) await redis.del(keys);
    });
    const env = {
      DATABASE_URL: process.env.DATABASE_URL,
      REDIS_URL: process.env.REDIS_URL,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'otp-worker-')),
      DELIVERY_CHANNEL: 'live',
      SMTP_URL: smtp.url,
      DELIVERY_QUEUE_PREFIX: prefix,
      DELIVERY_RETRY_BASE_MS: '100',
    };
    return { smtp, prefix, env };
  }

  async function api(env: Record<string, string | undefined>, port: number) {
    const server = await startServer(env, port);
    cleanUps.push(() => server.stop());
    return server;
  }

  async function worker(env: Record<string, string | undefined>) {
    const running = await startWorker(env);
    cleanUps.push(() => running.stop());
    return running;
  }

  const requestCode = (base: string, identifier: string, signal?: AbortSignal) =>
    fetch(`${base}/api/auth/otp/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier, purpose: 'REGISTER' }),
      signal,
    });
  const readiness = async (base: string) => (await (await fetch(`${base}/health/ready`)).json()) as { delivery?: Record<string, unknown> };

  it('keeps queued codes (sealed) across an API restart, and two worker processes send each exactly once', async () => {
    const { smtp, prefix, env } = await setUp();
    let server = await api({ ...env, DELIVERY_WORKER: 'false' }, 18641);
    const identifiers = Array.from({ length: 12 }, () => newEmail());
    for (const identifier of identifiers) expect((await requestCode(server.base, identifier)).status).toBe(200);

    // Nothing sends yet: the API only queues.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.received).toHaveLength(0);
    expect((await readiness(server.base)).delivery).toMatchObject({ status: 'ok', queued: 12 });

    // What Redis holds of a job: no address, no code and not whether it is a code or a notice; only
    // the sealed message and a masked recipient.
    const stored = await redis.hGetAll(`${prefix}:messages:jobs`);
    expect(Object.keys(stored)).toHaveLength(12);
    for (const [id, data] of Object.entries(stored)) {
      expect(id).toMatch(/^otp_[0-9a-f]{32}$/);
      expect(JSON.parse(data)).toEqual({
        sealed: expect.stringMatching(/^v1\./),
        purpose: 'REGISTER',
        to: expect.stringMatching(/^u\*\*\*@example\.com$/),
      });
    }
    for (const identifier of identifiers) expect(JSON.stringify(stored)).not.toContain(identifier);

    await server.stop();
    // The history's counters of emails delivered (the last hour's too, should the run straddle one).
    const deliveredThisAndLastHour = async () => {
      const hour = Math.floor(Date.now() / 3_600_000);
      const counts = await Promise.all([hour - 1, hour].map(async (h) => Number(await redis.get(`delivery-history:${h}:email:delivered`))));
      return counts[0] + counts[1];
    };
    const deliveredBefore = await deliveredThisAndLastHour();
    const workers = [await worker(env), await worker(env)];
    await eventually(async () => smtp.received.length === 12);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.received.map((mail) => (mail.to as { text: string }).text).sort()).toEqual([...identifiers].sort());
    expect(new Set(smtp.received.map((mail) => codeIn(mail.text ?? ''))).size).toBe(12);

    // And counted them in the delivery history the dashboard charts, which each worker adds to the
    // store up to a second after its first count (DeliveryHistory): waited for, not assumed.
    await eventually(async () => (await deliveredThisAndLastHour()) - deliveredBefore >= 12).catch(() => undefined);
    expect((await deliveredThisAndLastHour()) - deliveredBefore).toBeGreaterThanOrEqual(12);

    // Both workers logged their attempts (message id, channel, outcome), never a code.
    const logs = workers.map((w) => w.output()).join('');
    expect(logs.match(/: delivered \(attempt 1\)/g)).toHaveLength(12);
    for (const mail of smtp.received) expect(logs).not.toContain(codeIn(mail.text ?? '')!);

    // The code a worker mailed verifies on a restarted API.
    server = await api({ ...env, DELIVERY_WORKER: 'false' }, 18641);
    const first = smtp.received[0];
    const verify = await fetch(`${server.base}/api/auth/otp/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: (first.to as { text: string }).text, otp: codeIn(first.text ?? ''), purpose: 'REGISTER' }),
    });
    expect(verify.status).toBe(200);
    expect((await readiness(server.base)).delivery).toMatchObject({ queued: 0, delivered: 12, deadLettered: 0 });
    for (const w of workers) expect(await w.stop()).toBe(0);
  });

  it('lets a worker told to stop finish the message it is sending', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { smtp, env } = await setUp(() => held);
    const server = await api({ ...env, DELIVERY_WORKER: 'false' }, 18642);
    const sender = await startWorker(env);
    expect((await requestCode(server.base, newEmail())).status).toBe(200);
    await eventually(async () => smtp.attempts.size === 1);

    const stopped = sender.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    expect(await stopped).toBe(0);
    expect(smtp.received).toHaveLength(1);
    expect([...smtp.attempts.values()]).toEqual([1]);
  });

  it("answers 503 while the queue's Redis is away, and its worker sends again once Redis is back", async () => {
    const { smtp, env } = await setUp();
    const target = new URL(process.env.REDIS_URL!);
    const proxy = await new TcpProxy(target.hostname, Number(target.port || 6379)).start();
    cleanUps.push(() => proxy.stop());
    const server = await api({ ...env, REDIS_URL: throughProxy(process.env.REDIS_URL!, proxy) }, 18643);
    expect((await requestCode(server.base, newEmail())).status).toBe(200);
    await eventually(async () => smtp.received.length === 1);

    await proxy.cut();
    // Refused promptly, not held until Redis returns (the abort turns a hang into a failure).
    const refused = await requestCode(server.base, newEmail(), AbortSignal.timeout(5000));
    expectError({ status: refused.status, body: await refused.json() } as Response, 'REDIS_UNAVAILABLE');

    await proxy.restore();
    await eventually(async () => (await fetch(`${server.base}/health/ready`)).status === 200);
    const identifier = newEmail();
    expect((await requestCode(server.base, identifier)).status).toBe(200);
    await eventually(async () => smtp.received.some((mail) => (mail.to as { text: string }).text === identifier), 15_000);
  });
});
