import { readFileSync } from 'node:fs';
import { freePort } from './support/cli.js';
import { expectError } from './support/expect-error.js';
import { newEmail, newUsername } from './support/factories.js';
import { declaredMetrics, isExposed, metricsInExpression, parseMetrics, series } from './support/prometheus.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

describe(`Prometheus metrics (${backend.database} + ${backend.redis})`, () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  const start = async (env: Record<string, string> = {}) => {
    const t = await startTestApp(env);
    apps.push(t);
    return t;
  };
  const scrape = async (t: TestApp) => parseMetrics((await t.http().get('/metrics').expect(200)).text);

  it('moves each domain counter by exactly what one seed flow does', async () => {
    const t = await start({ OTP_RESEND_COOLDOWN_SECONDS: '0' });
    const identifier = newEmail();
    const before = await scrape(t);

    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    const registerCode = await t.lastCode('REGISTER', identifier);
    const wrong = registerCode === '000000' ? '111111' : '000000';
    await t.http().post('/api/auth/otp/verify').send({ identifier, otp: wrong, purpose: 'REGISTER' }).expect(400);
    const verified = await t.http().post('/api/auth/otp/verify').send({ identifier, otp: registerCode, purpose: 'REGISTER' }).expect(200);
    await t
      .http()
      .post('/api/auth/register')
      .send({ identifier, username: newUsername(), verification_token: verified.body.verification_token })
      .expect(201);
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'LOGIN' }).expect(200);
    const loginVerified = await t
      .http()
      .post('/api/auth/otp/verify')
      .send({ identifier, otp: await t.lastCode('LOGIN', identifier), purpose: 'LOGIN' })
      .expect(200);
    const login = await t
      .http()
      .post('/api/auth/login')
      .send({ identifier, verification_token: loginVerified.body.verification_token })
      .expect(200);
    await t.http().get('/api/auth/me').set('Authorization', `Bearer ${login.body.access}`).expect(200);
    await t.http().post('/api/auth/token/refresh').send({ refresh: login.body.refresh }).expect(200);
    // The rotated token again: reuse.
    await t.http().post('/api/auth/token/refresh').send({ refresh: login.body.refresh }).expect(401);
    await t.http().get(`/api/no/such/${identifier}`).expect(404);
    await t.http().get(`/no/such/${identifier}`).expect(404);

    const after = await scrape(t);
    const moved = (name: string, labels?: Record<string, string>) =>
      (after.get(series(name, labels)) ?? 0) - (before.get(series(name, labels)) ?? 0);
    const email = { channel: 'email' };
    expect({
      requestedRegister: moved('otp_codes_requested_total', { purpose: 'REGISTER', ...email }),
      requestedLogin: moved('otp_codes_requested_total', { purpose: 'LOGIN', ...email }),
      delivered: moved('otp_codes_delivered_total', email),
      deliveryFailures: moved('otp_delivery_failures_total', email),
      verifiedRegister: moved('otp_codes_verified_total', { purpose: 'REGISTER', ...email }),
      verifiedLogin: moved('otp_codes_verified_total', { purpose: 'LOGIN', ...email }),
      wrong: moved('otp_verify_failures_total', { purpose: 'REGISTER', ...email, reason: 'wrong' }),
      expired: moved('otp_verify_failures_total', { purpose: 'REGISTER', ...email, reason: 'expired' }),
      issuedRegister: moved('auth_tokens_issued_total', { flow: 'register' }),
      issuedLogin: moved('auth_tokens_issued_total', { flow: 'login' }),
      issuedRefresh: moved('auth_tokens_issued_total', { flow: 'refresh' }),
      refreshed: moved('auth_tokens_refreshed_total'),
      reuse: moved('auth_refresh_reuse_detected_total'),
      otpRequests: moved('http_request_duration_seconds_count', { method: 'POST', route: '/api/auth/otp/request', status_code: '200' }),
      refreshRefused: moved('http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/auth/token/refresh',
        status_code: '401',
      }),
      unmatched: moved('http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' }),
    }).toEqual({
      requestedRegister: 1,
      requestedLogin: 1,
      delivered: 2,
      deliveryFailures: 0,
      verifiedRegister: 1,
      verifiedLogin: 1,
      wrong: 1,
      expired: 0,
      issuedRegister: 1,
      issuedLogin: 1,
      issuedRefresh: 1,
      refreshed: 1,
      reuse: 1,
      otpRequests: 2,
      refreshRefused: 1,
      // Both unknown paths above, under /api and not.
      unmatched: 2,
    });
    // Route labels are templates: no identifier, path or token ever becomes a label value.
    const text = (await t.http().get('/metrics').expect(200)).text;
    expect(text).not.toContain(identifier.split('@')[0]);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('asks for METRICS_TOKEN when one is set, in constant time, with the one error shape', async () => {
    const t = await start({ METRICS_TOKEN: 'a-long-metrics-token-0123' });
    expectError(await t.http().get('/metrics'), 'AUTH_REQUIRED');
    expectError(await t.http().get('/metrics').set('Authorization', 'Bearer a-long-metrics-token-0124'), 'AUTH_REQUIRED');
    const ok = await t.http().get('/metrics').set('Authorization', 'Bearer a-long-metrics-token-0123').expect(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('moves /metrics to METRICS_PORT when given, and turns it off with METRICS_ENABLED=false', async () => {
    const port = await freePort();
    const t = await start({ METRICS_PORT: String(port), HOST: '127.0.0.1' });
    expectError(await t.http().get('/metrics'), 'NOT_FOUND');
    const separate = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(separate.status).toBe(200);
    expect(await separate.text()).toContain('# TYPE otp_codes_requested_total counter');
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);

    const off = await start({ METRICS_ENABLED: 'false' });
    expectError(await off.http().get('/metrics'), 'NOT_FOUND');
  });

  it('ships alert rules and a Grafana dashboard that read only metrics the service exposes', async () => {
    const t = await start();
    const declared = declaredMetrics((await t.http().get('/metrics').expect(200)).text);
    const dashboard = JSON.parse(readFileSync(new URL('../deploy/grafana/otp-auth-dashboard.json', import.meta.url), 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const rules = readFileSync(new URL('../deploy/prometheus/otp-auth-alerts.yml', import.meta.url), 'utf8');
    // Rule expressions: single-line `expr:` values and `expr: |` blocks.
    const ruleExprs = [...rules.matchAll(/expr: (?:\|\n((?: {10}.*\n)+)|(.+))/g)].map((match) => match[1] ?? match[2]);
    const expressions = [...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)), ...ruleExprs];
    expect(ruleExprs.length).toBe(9);
    const read = [...new Set(expressions.flatMap(metricsInExpression))];
    expect(read.length).toBeGreaterThan(10);
    expect(read.filter((name) => !isExposed(name, declared))).toEqual([]);
  });
});
