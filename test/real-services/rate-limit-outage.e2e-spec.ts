import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../support/cli.js';
import { newEmail, newUsername } from '../support/factories.js';
import { TcpProxy, eventually, throughProxy } from '../support/tcp-proxy.js';

// The built server with its per-IP limits on (they do not load in jest), Redis behind a proxy.
describe('per-IP limits while Redis is away', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'otp-limit-outage-'));
  let redisProxy: TcpProxy;
  let server: RunningServer;
  beforeAll(async () => {
    const redis = new URL(process.env.REDIS_URL!);
    redisProxy = await new TcpProxy(redis.hostname, Number(redis.port || 6379)).start();
    server = await startServer(
      {
        DATA_DIR: dataDir,
        DATABASE_URL: process.env.DATABASE_URL,
        REDIS_URL: throughProxy(process.env.REDIS_URL!, redisProxy),
        JWT_SECRET: 'limit-outage-jwt-secret-0123456789abcdef',
        OTP_SECRET: 'limit-outage-otp-secret-0123456789abcdef',
        ADMIN_SESSION_SECRET: 'limit-outage-admin-secret-0123456789ab',
        RATE_LIMIT_SIGN_INS_PER_IP: '1000',
        RATE_LIMIT_OTP_REQUESTS_PER_IP: '4',
        TRUST_PROXY: 'true',
      },
      18591,
    );
  });
  afterAll(async () => {
    await server?.stop();
    await redisProxy?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Its own client address, so no other suite's requests share its counters.
  const client = `2001:db8:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}::1`;
  const post = async (path: string, body: object) => {
    const res = await fetch(server.base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('lets token refresh (Postgres only) through, answers 503 where Redis is needed, and counts again once it returns', async () => {
    const identifier = newEmail();
    await post('/api/auth/otp/request', { identifier, purpose: 'REGISTER' });
    const otp = await (await fetch(`${server.base}/api/dev/otp?identifier=${encodeURIComponent(identifier)}&purpose=REGISTER`)).text();
    const { verification_token } = (await post('/api/auth/otp/verify', { identifier, otp, purpose: 'REGISTER' })).body;
    const registered = await post('/api/auth/register', { identifier, username: newUsername(), verification_token });
    expect(registered.status).toBe(201);

    await redisProxy.cut();
    try {
      const refreshed = await post('/api/auth/token/refresh', { refresh: registered.body.refresh });
      expect(refreshed.status).toBe(200);
      const me = await fetch(`${server.base}/api/auth/me`, { headers: { authorization: `Bearer ${refreshed.body.access}` } });
      expect(me.status).toBe(200);
      const request = await post('/api/auth/otp/request', { identifier: newEmail(), purpose: 'REGISTER' });
      expect({ status: request.status, code: request.body.code }).toEqual({ status: 503, code: 'REDIS_UNAVAILABLE' });
    } finally {
      await redisProxy.restore();
    }
    await eventually(async () => (await fetch(`${server.base}/health/ready`)).status === 200);
    // One request before the outage was counted, the one during it was not: three more pass, then 429.
    const after: number[] = [];
    for (let i = 0; i < 4; i++) after.push((await post('/api/auth/otp/request', { identifier: newEmail(), purpose: 'REGISTER' })).status);
    expect(after).toEqual([200, 200, 200, 429]);
  });
});
