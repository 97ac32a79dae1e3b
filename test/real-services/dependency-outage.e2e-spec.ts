import { expectError } from '../support/expect-error.js';
import { newEmail, signUp } from '../support/factories.js';
import { TcpProxy, eventually, throughProxy } from '../support/tcp-proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// Runs only when DATABASE_URL and REDIS_URL name real servers (see jest.config.mjs).
describe('real Postgres and Redis behind a proxy that is cut and restored', () => {
  let t: TestApp;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  beforeAll(async () => {
    const pg = new URL(process.env.DATABASE_URL!);
    const redis = new URL(process.env.REDIS_URL!);
    pgProxy = await new TcpProxy(pg.hostname, Number(pg.port || 5432)).start();
    redisProxy = await new TcpProxy(redis.hostname, Number(redis.port || 6379)).start();
    t = await startTestApp({
      DATABASE_URL: throughProxy(process.env.DATABASE_URL!, pgProxy),
      REDIS_URL: throughProxy(process.env.REDIS_URL!, redisProxy),
      DB_CONNECT_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await t?.close();
    await pgProxy?.stop();
    await redisProxy?.stop();
  });

  it('answers 503 while Redis is away and recovers without a restart', async () => {
    await redisProxy.cut();
    expectError(await t.http().post('/api/auth/otp/request').send({ identifier: newEmail(), purpose: 'REGISTER' }), 'REDIS_UNAVAILABLE');
    await redisProxy.restore();
    await eventually(async () => (await t.http().get('/health/ready')).status === 200);
    await signUp(t);
  });

  it('answers 503 while Postgres is away, keeps the verification token, and recovers without a restart', async () => {
    const user = await signUp(t);
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    const otp = await t.lastCode('REGISTER', identifier);
    const { verification_token } = (await t.http().post('/api/auth/otp/verify').send({ identifier, otp, purpose: 'REGISTER' }).expect(200))
      .body;

    await pgProxy.cut();
    expectError(await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`), 'DATABASE_UNAVAILABLE');
    expectError(
      await t
        .http()
        .post('/api/auth/register')
        .send({ identifier, username: `u_${Date.now()}`, verification_token }),
      'DATABASE_UNAVAILABLE',
    );
    expect((await t.http().get('/health/ready').expect(503)).body.checks.database).toBe('down');

    await pgProxy.restore();
    await eventually(async () => (await t.http().get('/health/ready')).status === 200);
    await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`).expect(200);
    // The failed register gave its token back: the same token still creates the account.
    await t
      .http()
      .post('/api/auth/register')
      .send({ identifier, username: `u_${Date.now()}`, verification_token })
      .expect(201);
  });
});
