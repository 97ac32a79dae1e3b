import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runCli, startServer, type RunningServer } from '../support/cli.js';
import { newEmail, newUsername } from '../support/factories.js';
import { codeIn, startSmtpServer } from '../support/smtp-server.js';
import { eventually } from '../support/tcp-proxy.js';

// Runs only when DATABASE_URL and REDIS_URL name real servers (see jest.config.mjs): production
// needs both. The whole flow, an admin's CLI session and the admin panel's sign-in run in
// production mode; then every line the server and the CLI wrote is searched for every secret seen.
describe('logs in production', () => {
  const secret = (label: string) => `${label}-${randomBytes(18).toString('base64url')}`;
  const smtpAuth = { user: 'mailer', pass: secret('smtp-password') };
  const settings = {
    KEYS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    OTP_SECRET: secret('otp-secret'),
    ADMIN_SESSION_SECRET: secret('admin-session-secret'),
    METRICS_TOKEN: secret('metrics-token'),
  };
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let server: RunningServer;
  let env: Record<string, string | undefined>;
  // A database of its own: its signing keys are created under this test's random key-encryption key.
  const database = `otp_prodlogs_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${database}`;
    smtp = await startSmtpServer(undefined, { auth: smtpAuth });
    env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'verbose', // everything the code base logs, debug lines included
      DATABASE_URL: url.toString(),
      REDIS_URL: process.env.REDIS_URL,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'otp-prodlogs-')),
      DELIVERY_CHANNEL: 'live',
      SMTP_URL: smtp.url,
      ...settings,
    };
    server = await startServer(env, 18671);
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  const call = async (method: string, path: string, body?: object, token?: string) => {
    const res = await fetch(server.base + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, any> };
  };

  it('writes no code, verification token, JWT, refresh token, password or key to any log line', async () => {
    const seen: string[] = [smtpAuth.pass, ...Object.values(settings)];
    const identifier = newEmail();
    const codeFor = async (purpose: string) => {
      const before = smtp.received.length;
      expect((await call('POST', '/api/auth/otp/request', { identifier, purpose })).status).toBe(200);
      await eventually(async () => smtp.received.length > before);
      return codeIn(smtp.received.at(-1)!.text ?? '')!;
    };

    const registerCode = await codeFor('REGISTER');
    expect(
      (
        await call('POST', '/api/auth/otp/verify', {
          identifier,
          otp: registerCode === '000000' ? '000001' : '000000',
          purpose: 'REGISTER',
        })
      ).status,
    ).toBe(400);
    const verified = await call('POST', '/api/auth/otp/verify', { identifier, otp: registerCode, purpose: 'REGISTER' });
    const username = newUsername();
    const registered = await call('POST', '/api/auth/register', {
      identifier,
      username,
      verification_token: verified.body.verification_token,
    });
    expect(registered.status).toBe(201);
    const loginCode = await codeFor('LOGIN');
    const loginVerified = await call('POST', '/api/auth/otp/verify', { identifier, otp: loginCode, purpose: 'LOGIN' });
    const login = await call('POST', '/api/auth/login', { identifier, verification_token: loginVerified.body.verification_token });
    expect((await call('GET', '/api/auth/me', undefined, login.body.access)).status).toBe(200);
    const refreshed = await call('POST', '/api/auth/token/refresh', { refresh: login.body.refresh });
    expect(refreshed.status).toBe(200);
    expect((await call('POST', '/api/auth/token/refresh', { refresh: login.body.refresh })).status).toBe(401); // reuse
    expect((await call('GET', '/api/auth/me', undefined, `${login.body.access}x`)).status).toBe(401);
    // A notice (no account) goes out too: its log line must read like a code's.
    expect((await call('POST', '/api/auth/otp/request', { identifier: newEmail(), purpose: 'LOGIN' })).status).toBe(200);
    expect((await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${settings.METRICS_TOKEN}` } })).status).toBe(200);
    seen.push(registerCode, loginCode, verified.body.verification_token, loginVerified.body.verification_token);
    seen.push(
      registered.body.access,
      registered.body.refresh,
      login.body.access,
      login.body.refresh,
      refreshed.body.access,
      refreshed.body.refresh,
    );

    // The operator's side: an admin with a password, a token for Swagger, and a panel sign-in.
    const adminPassword = secret('admin-password');
    const adminName = newUsername();
    const cliRuns = [
      await runCli(['create-admin', adminName, '--email', newEmail(), '--password', adminPassword], env),
      await runCli(['set-password', username, '--password', adminPassword], env),
      await runCli(['users', 'list'], env),
    ];
    const tokenRun = await runCli(['admin-token', adminName], env);
    for (const run of [...cliRuns, tokenRun]) expect(run.code).toBe(0);
    const adminToken = tokenRun.stdout.trim().split('\n').at(-1)!;
    expect((await call('GET', '/api/auth/me', undefined, adminToken)).status).toBe(200);
    const signIn = await fetch(`${server.base}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: adminName, password: adminPassword }),
      redirect: 'manual',
    });
    expect(signIn.status).toBe(302);
    seen.push(adminPassword, adminToken);
    // The panel's own components (the dashboard) are served from the build-time bundle.
    const bundle = await fetch(`${server.base}/admin/frontend/assets/components.bundle.js`);
    expect({ status: bundle.status, type: bundle.headers.get('content-type') }).toEqual({
      status: 200,
      type: expect.stringContaining('javascript'),
    });
    expect(await bundle.text()).toContain('Dashboard');

    // Every delivery done, then the server stopped: the JSON logs are buffered, and a stop flushes
    // them, so what is searched below is every line the server wrote.
    await eventually(
      async () =>
        server
          .output()
          .split('\n')
          .filter((line) => line.includes(': delivered (attempt')).length >= 3,
    );
    await server.stop();
    expect(server.output()).toContain('"route":"/api/auth/me","status":401');
    const lines = server.output().trim().split('\n');
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) expect(line.startsWith('{')).toBe(true); // JSON, one object a line
    // The CLI's own output is searched too; admin-token's stdout is the token, by design, so only its stderr.
    const captured = [server.output(), ...cliRuns.flatMap((run) => [run.stdout, run.stderr]), tokenRun.stderr].join('\n');
    const leaked = seen.filter((value) => value && captured.includes(value));
    expect(leaked).toEqual([]);
    // And not a JWT of any kind, whole or in part.
    expect(captured).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    // A delivery's line says neither whether the message held a code nor a notice: that would enumerate accounts.
    const deliveries = server
      .output()
      .split('\n')
      .filter((line) => line.includes(': delivered (attempt'));
    for (const line of deliveries) expect(line).toMatch(/otp_[0-9a-f]{32} to \S+ via smtp: delivered/);
    expect(deliveries.join('\n')).not.toMatch(/no-account|account-exists|\bcode\b|notice/);
  });
});
