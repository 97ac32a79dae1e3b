import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { adminSignIn } from '../support/admin-fixture.js';
import { runCli, startServers, type RunningServer } from '../support/cli.js';

// Two API processes on different ports sharing one Postgres and one Redis, as behind a load balancer.
describe('two instances sharing Postgres and Redis', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'otp-two-'));
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    JWT_SECRET: 'two-instances-jwt-secret-0123456789abcdef',
    OTP_SECRET: 'two-instances-otp-secret-0123456789abcdef',
    ADMIN_SESSION_SECRET: 'two-instances-admin-secret-0123456789abcd',
    OTP_RESEND_COOLDOWN_SECONDS: '0',
  };
  let a: RunningServer;
  let b: RunningServer;
  beforeAll(async () => {
    // Started together on purpose: on a fresh database both race to migrate it.
    [a, b] = await startServers(env, [18571, 18572]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = async (base: string, path: string, body: object) => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const devCode = async (base: string, identifier: string, purpose: string) =>
    (await fetch(`${base}/api/dev/otp?identifier=${encodeURIComponent(identifier)}&purpose=${purpose}`)).text();

  it('requests on one, verifies on the other, logs in, refreshes and logs out across both', async () => {
    const tag = randomBytes(4).toString('hex');
    const identifier = `two.${tag}@example.com`;
    expect((await post(a.base, '/api/auth/otp/request', { identifier, purpose: 'REGISTER' })).status).toBe(200);
    const registerToken = await post(b.base, '/api/auth/otp/verify', {
      identifier,
      otp: await devCode(a.base, identifier, 'REGISTER'),
      purpose: 'REGISTER',
    });
    expect(registerToken.status).toBe(200);
    expect(
      (
        await post(a.base, '/api/auth/register', {
          identifier,
          username: `two_${tag}`,
          verification_token: registerToken.body.verification_token,
        })
      ).status,
    ).toBe(201);

    expect((await post(b.base, '/api/auth/otp/request', { identifier, purpose: 'LOGIN' })).status).toBe(200);
    const loginToken = await post(a.base, '/api/auth/otp/verify', {
      identifier,
      otp: await devCode(b.base, identifier, 'LOGIN'),
      purpose: 'LOGIN',
    });
    const login = await post(a.base, '/api/auth/login', { identifier, verification_token: loginToken.body.verification_token });
    expect(login.status).toBe(200);

    const refreshed = await post(b.base, '/api/auth/token/refresh', { refresh: login.body.refresh });
    expect(refreshed.status).toBe(200);
    expect((await fetch(`${a.base}/api/auth/me`, { headers: { authorization: `Bearer ${refreshed.body.access}` } })).status).toBe(200);

    expect((await post(a.base, '/api/auth/logout', { refresh: refreshed.body.refresh })).status).toBe(200);
    const afterLogout = await post(b.base, '/api/auth/token/refresh', { refresh: refreshed.body.refresh });
    expect({ status: afterLogout.status, code: afterLogout.body.code }).toEqual({ status: 401, code: 'TOKEN_INVALID' });
  });

  it('keeps the resend cooldown and the single use of a verification token across instances', async () => {
    const strict = { ...env, OTP_RESEND_COOLDOWN_SECONDS: '60' };
    const [c, d] = await startServers(strict, [18573, 18574]);
    try {
      const identifier = `cool.${randomBytes(4).toString('hex')}@example.com`;
      expect((await post(c.base, '/api/auth/otp/request', { identifier, purpose: 'REGISTER' })).status).toBe(200);
      const again = await post(d.base, '/api/auth/otp/request', { identifier, purpose: 'REGISTER' });
      expect({ status: again.status, code: again.body.code }).toEqual({ status: 429, code: 'OTP_COOLDOWN' });
      const verified = await post(d.base, '/api/auth/otp/verify', {
        identifier,
        otp: await devCode(c.base, identifier, 'REGISTER'),
        purpose: 'REGISTER',
      });
      const token = verified.body.verification_token;
      const [first, second] = await Promise.all([
        post(c.base, '/api/auth/register', { identifier, username: `c_${randomBytes(3).toString('hex')}`, verification_token: token }),
        post(d.base, '/api/auth/register', { identifier, username: `d_${randomBytes(3).toString('hex')}`, verification_token: token }),
      ]);
      expect([first.status, second.status].sort()).toEqual([201, 400]);
    } finally {
      await Promise.all([c.stop(), d.stop()]);
    }
  });

  it('accepts an admin session on either instance', async () => {
    const name = `adm_${randomBytes(3).toString('hex')}`;
    const created = await runCli(['create-admin', name, '--email', `${name}@example.com`, '--password', 'two-instance-admin-pw'], env);
    expect(created.code).toBe(0);
    const { cookie } = await adminSignIn(a.base, name, 'two-instance-admin-pw');
    expect(cookie).toBeDefined();
    for (const base of [a.base, b.base]) {
      const res = await fetch(`${base}/admin/api/resources/User/actions/list?filters.username=${name}`, {
        headers: { cookie: cookie! },
        redirect: 'manual',
      });
      expect({ base, status: res.status }).toEqual({ base, status: 200 });
    }
  });
});
