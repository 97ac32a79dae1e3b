import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { signUpThroughHttp } from './support/admin-fixture.js';
import { startServer, type RunningServer } from './support/cli.js';
import { newEmail, newUsername } from './support/factories.js';
import { eventually } from './support/tcp-proxy.js';
import { backend, startTestApp } from './support/test-app.js';

type LogLine = Record<string, unknown> & { msg: string; request_id?: string };
const linesOf = (output: string): LogLine[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

describe(`request ids and structured logs (${backend.database} + ${backend.redis})`, () => {
  let server: RunningServer;
  beforeAll(async () => {
    // TRUST_PROXY=loopback: the test, on 127.0.0.1, plays the trusted proxy.
    const env = {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'otp-logs-')),
      DATABASE_URL: process.env.DATABASE_URL,
      REDIS_URL: process.env.REDIS_URL,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'log',
      TRUST_PROXY: 'loopback',
    };
    server = await startServer(env, 18661);
  });
  afterAll(() => server?.stop());

  const requestCode = (identifier: string, requestId?: string) =>
    fetch(`${server.base}/api/auth/otp/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) },
      body: JSON.stringify({ identifier, purpose: 'REGISTER' }),
    });

  it('logs one JSON line per request, and stamps every line the request causes with its id', async () => {
    const identifier = newEmail();
    const response = await requestCode(identifier, 'trace-0001.abc');
    expect(response.headers.get('x-request-id')).toBe('trace-0001.abc');
    let lines: LogLine[] = [];
    await eventually(async () => (lines = linesOf(server.output()).filter((line) => line.request_id === 'trace-0001.abc')).length >= 2);
    expect(lines.find((line) => line.context === 'DevDelivery')?.msg).toContain(`OTP for ${identifier}`);
    expect(lines.find((line) => line.msg === 'request completed')).toEqual(
      expect.objectContaining({
        level: 30,
        time: expect.any(String),
        method: 'POST',
        route: '/api/auth/otp/request',
        status: 200,
        duration_ms: expect.any(Number),
      }),
    );
    // Every line of the output is JSON.
    expect(
      server
        .output()
        .trim()
        .split('\n')
        .every((line) => line.startsWith('{')),
    ).toBe(true);
  });

  it('names the user on the line of an authenticated request, and the route template rather than the path', async () => {
    const user = await signUpThroughHttp(server.base, newEmail(), newUsername());
    const me = await fetch(`${server.base}/api/auth/me`, { headers: { authorization: `Bearer ${user.access}` } });
    const id = me.headers.get('x-request-id')!;
    const nothing = (await fetch(`${server.base}/api/nothing/${user.identifier}`)).headers.get('x-request-id')!;
    // Both lines written (the JSON logs are buffered) before the output is searched for the path.
    await eventually(async () => linesOf(server.output()).some((line) => line.request_id === id && line.msg === 'request completed'));
    await eventually(async () => linesOf(server.output()).some((line) => line.request_id === nothing));
    expect(linesOf(server.output()).find((line) => line.request_id === id && line.msg === 'request completed')).toMatchObject({
      route: '/api/auth/me',
      status: 200,
      user_id: user.id,
    });
    expect(server.output()).not.toContain(`/api/nothing/${user.identifier}`);
  });

  it('makes up its own id for a malformed one', async () => {
    for (const offered of ['has space', 'x'.repeat(129), 'new\\nline']) {
      const id = (await requestCode(newEmail(), offered)).headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe(`request ids from clients that are not a trusted proxy (${backend.database} + ${backend.redis})`, () => {
  it('ignores their X-Request-Id, and writes the id it chose into the audit row', async () => {
    const t = await startTestApp({ TRUST_PROXY: 'false' });
    try {
      const identifier = newEmail();
      const offered = 'forged-by-client';
      const requested = await t
        .http()
        .post('/api/auth/otp/request')
        .set('x-request-id', offered)
        .send({ identifier, purpose: 'REGISTER' })
        .expect(200);
      expect(requested.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

      const verified = await t
        .http()
        .post('/api/auth/otp/verify')
        .send({ identifier, otp: await t.lastCode('REGISTER', identifier), purpose: 'REGISTER' })
        .expect(200);
      const registered = await t
        .http()
        .post('/api/auth/register')
        .set('x-request-id', offered)
        .send({ identifier, username: newUsername(), verification_token: verified.body.verification_token })
        .expect(201);
      const [row] = await t.app
        .get(DataSource)
        .query(`SELECT request_id FROM audit_events WHERE type = 'user.signed_up' AND target_id = $1`, [registered.body.user.id]);
      expect(row.request_id).toBe(registered.headers['x-request-id']);
      expect(row.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.request_id).not.toBe(offered);
    } finally {
      await t.close();
    }
  });

  it('takes a trusted proxy X-Request-Id into the audit row', async () => {
    const t = await startTestApp({ TRUST_PROXY: 'loopback' });
    try {
      const identifier = newEmail();
      await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
      const verified = await t
        .http()
        .post('/api/auth/otp/verify')
        .send({ identifier, otp: await t.lastCode('REGISTER', identifier), purpose: 'REGISTER' })
        .expect(200);
      const registered = await t
        .http()
        .post('/api/auth/register')
        .set('x-request-id', 'lb-7f3a9c')
        .send({ identifier, username: newUsername(), verification_token: verified.body.verification_token })
        .expect(201);
      expect(registered.headers['x-request-id']).toBe('lb-7f3a9c');
      const [row] = await t.app
        .get(DataSource)
        .query(`SELECT request_id FROM audit_events WHERE type = 'user.signed_up' AND target_id = $1`, [registered.body.user.id]);
      expect(row.request_id).toBe('lb-7f3a9c');
    } finally {
      await t.close();
    }
  });
});
