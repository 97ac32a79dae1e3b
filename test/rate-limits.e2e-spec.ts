import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServer, type RunningServer } from './support/cli.js';
import { parseMetrics, series } from './support/prometheus.js';
import { eventually } from './support/tcp-proxy.js';
import { newEmail } from './support/factories.js';
import { backend } from './support/test-app.js';

// Against the built server, as deployed (the in-process test apps set the limits far above what a
// suite sends). Addresses come from
// the IPv6 documentation range, each in its own /64 (the throttler counts IPv6 clients per /64),
// fresh per test, so no other suite's traffic shares their buckets.
const newAddress = () => `2001:db8:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}::1`;

describe(`per-IP rate limits (${backend.database} + ${backend.redis})`, () => {
  const dataDirs: string[] = [];
  const serverEnv = () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'otp-limits-'));
    dataDirs.push(dataDir);
    return { DATA_DIR: dataDir, DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL };
  };
  const start = (port: number, env: Record<string, string>) => startServer({ ...serverEnv(), ...env }, port);
  let server: RunningServer;
  // The CLI reads the server's database: the same DATA_DIR (or DATABASE_URL).
  const env = {
    ...serverEnv(),
    TRUST_PROXY: 'true',
    RATE_LIMIT_OTP_REQUESTS_PER_IP: '3',
    RATE_LIMIT_OTP_VERIFIES_PER_IP: '4',
    RATE_LIMIT_SIGN_INS_PER_IP: '2',
    RATE_LIMIT_ADMIN_REQUESTS_PER_IP: '3',
  };
  beforeAll(async () => {
    server = await startServer(env, 18561);
  });
  afterAll(async () => {
    await server?.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  const post = (base: string, path: string, from: string, body: object) =>
    fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
      body: JSON.stringify(body),
    });
  const codeOf = async (res: Response) => ({
    status: res.status,
    code: ((await res.json()) as { code?: string }).code,
    retryAfter: res.headers.get('retry-after'),
  });

  const hits = async () => {
    const samples = parseMetrics(await (await fetch(`${server.base}/metrics`)).text());
    return samples.get(series('rate_limit_hits_total', { route: 'POST /api/auth/otp/request' })) ?? 0;
  };

  it('limits OTP requests per client address, whatever the identifier, with Retry-After, and counts each refusal', async () => {
    const address = newAddress();
    const request = (from: string) => post(server.base, '/api/auth/otp/request', from, { identifier: newEmail(), purpose: 'REGISTER' });
    const hitsBefore = await hits();
    for (let i = 0; i < 3; i++) expect((await request(address)).status).toBe(200);
    expect(await hits()).toBe(hitsBefore);
    const limited = await codeOf(await request(address));
    expect(await hits()).toBe(hitsBefore + 1);
    expect(limited).toEqual({ status: 429, code: 'RATE_LIMITED', retryAfter: expect.stringMatching(/^\d+$/) });
    expect(Number(limited.retryAfter)).toBeGreaterThan(3500);
    expect((await request(newAddress())).status).toBe(200);
  });

  it('limits the admin API per client address and route, counting requests before their token is checked', async () => {
    const address = newAddress();
    const users = () =>
      fetch(`${server.base}/api/admin/users`, { headers: { 'x-forwarded-for': address, authorization: 'Bearer guessed.token.value' } });
    for (let i = 0; i < 3; i++) expect((await codeOf(await users())).code).toBe('TOKEN_INVALID');
    expect(await codeOf(await users())).toEqual({ status: 429, code: 'RATE_LIMITED', retryAfter: expect.stringMatching(/^\d+$/) });
    // Each route has its own count.
    const keys = await fetch(`${server.base}/api/admin/signing-keys`, { headers: { 'x-forwarded-for': address } });
    expect((await codeOf(keys)).code).toBe('AUTH_REQUIRED');
  });

  it('writes an address that runs into a limit to the audit log once per window, however often it is refused', async () => {
    const prefix = `2001:db8:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await post(server.base, '/api/auth/otp/request', `${prefix}::1`, { identifier: newEmail(), purpose: 'REGISTER' })).status,
      );
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    // The write is not awaited by the refused request.
    let events: string[] = [];
    await eventually(async () => {
      const audit = await runCli(['audit', '--type', 'rate_limit.exceeded', '--limit', '10000'], env);
      expect(audit).toMatchObject({ code: 0 });
      events = audit.stdout.split('\n').filter((line) => line.includes(`${prefix}::/64`));
      return events.length > 0;
    });
    expect(events).toHaveLength(1);
    const details = JSON.parse(events[0].slice(events[0].indexOf('{')));
    expect(details).toEqual({ route: 'POST /api/auth/otp/request', limit: 3, windowSeconds: 3600 });
  });

  it('counts an IPv6 client by its /64, so rotating the interface part does not help', async () => {
    const prefix = `2001:db8:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}`;
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++)
      statuses.push(
        (await post(server.base, '/api/auth/otp/request', `${prefix}::${i}`, { identifier: newEmail(), purpose: 'REGISTER' })).status,
      );
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('limits verify attempts and sign-ins per address too', async () => {
    const address = newAddress();
    const verify = () => post(server.base, '/api/auth/otp/verify', address, { identifier: newEmail(), otp: '123456', purpose: 'LOGIN' });
    for (let i = 0; i < 4; i++) expect((await codeOf(await verify())).code).toBe('OTP_EXPIRED');
    expect((await codeOf(await verify())).code).toBe('RATE_LIMITED');
    const login = () =>
      post(server.base, '/api/auth/login', address, { identifier: newEmail(), verification_token: '00000000-0000-4000-8000-000000000000' });
    for (let i = 0; i < 2; i++) expect((await codeOf(await login())).code).toBe('VERIFICATION_TOKEN_INVALID');
    expect((await codeOf(await login())).code).toBe('RATE_LIMITED');
  });

  it('does not let a client pick its address when no proxy is trusted', async () => {
    const closed = await start(18562, { RATE_LIMIT_OTP_REQUESTS_PER_IP: '3' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (await post(closed.base, '/api/auth/otp/request', newAddress(), { identifier: newEmail(), purpose: 'REGISTER' })).status,
        );
      // Were X-Forwarded-For believed, four new addresses would all pass.
      expect(statuses).toContain(429);
    } finally {
      await closed.stop();
    }
  });
});
