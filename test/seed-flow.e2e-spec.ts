import { DataSource } from 'typeorm';
import { AuditEvent } from '#audit';
import { User } from '#users';
import { expectError } from './support/expect-error.js';
import { createUser, newEmail, newPhone, newUsername, signUp, verificationToken } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

describe(`the seed flow (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('signs up and signs in with the exact requests of seed-otp-flow.md', async () => {
    const identifier = newEmail();
    const username = newUsername();

    const requested = await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    expect(requested.body).toEqual({ detail: expect.any(String), expires_in: 300, resend_after: 60 });

    const registerCode = await t.lastCode('REGISTER', identifier);
    expect(registerCode).toMatch(/^\d{6}$/);
    const verified = await t.http().post('/api/auth/otp/verify').send({ identifier, otp: registerCode, purpose: 'REGISTER' }).expect(200);
    expect(verified.body).toEqual({ verification_token: expect.stringMatching(/^[0-9a-f-]{36}$/), expires_in: 600 });

    const registered = await t
      .http()
      .post('/api/auth/register')
      .send({ identifier, username, verification_token: verified.body.verification_token })
      .expect(201);
    expect(registered.body).toEqual({
      user: expect.objectContaining({ id: expect.any(String), username, email: identifier, phone: null, role: 'user', is_active: true }),
      access: expect.any(String),
      refresh: expect.any(String),
    });

    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'LOGIN' }).expect(200);
    const loginCode = await t.lastCode('LOGIN', identifier);
    const loginVerified = await t.http().post('/api/auth/otp/verify').send({ identifier, otp: loginCode, purpose: 'LOGIN' }).expect(200);
    const loggedIn = await t
      .http()
      .post('/api/auth/login')
      .send({ identifier, verification_token: loginVerified.body.verification_token })
      .expect(200);
    expect(loggedIn.body.user).toEqual(expect.objectContaining({ id: registered.body.user.id, last_login_at: expect.any(String) }));

    const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${loggedIn.body.access}`).expect(200);
    expect(me.body).toEqual(expect.objectContaining({ id: registered.body.user.id, username, email: identifier }));
    expect(Object.keys(me.body)).not.toContain('password_hash');
    expect(JSON.stringify(me.body)).not.toMatch(/hash|session_version/i);
  });

  it('normalises emails so one mailbox is one account', async () => {
    const identifier = newEmail();
    const user = await signUp(t, identifier);
    await t
      .http()
      .post('/api/auth/otp/request')
      .send({ identifier: `  ${identifier.toUpperCase()} `, purpose: 'LOGIN' })
      .expect(200);
    const code = await t.lastCode('LOGIN', identifier);
    const verified = await t
      .http()
      .post('/api/auth/otp/verify')
      .send({ identifier: identifier.toUpperCase(), otp: code, purpose: 'LOGIN' })
      .expect(200);
    const login = await t
      .http()
      .post('/api/auth/login')
      .send({ identifier, verification_token: verified.body.verification_token })
      .expect(200);
    expect(login.body.user.id).toBe(user.id);
  });

  it('signs up with a phone number, stored in E.164', async () => {
    const phone = newPhone();
    const spaced = `${phone.slice(0, 3)} ${phone.slice(3, 6)} ${phone.slice(6)}`;
    const user = await signUp(t, spaced);
    const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`).expect(200);
    expect(me.body).toEqual(expect.objectContaining({ phone, email: null }));
  });

  it('stores the code as a keyed hash, never in plain text', async () => {
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    const code = await t.lastCode('REGISTER', identifier);
    if (backend.redis === 'redis') {
      const { RedisConnection } = await import('#redis');
      const redis = t.app.get(RedisConnection);
      const stored = await redis.run((client) => client.hGetAll(`otp:REGISTER:{${identifier}}`));
      expect(stored.h).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(stored)).not.toContain(code);
    } else {
      const { OtpStore } = await import('#otp');
      const dump = JSON.stringify([...(t.app.get(OtpStore) as unknown as { entries: Map<string, unknown> }).entries]);
      expect(dump).toContain(`otp:REGISTER:{${identifier}}`);
      expect(dump).not.toContain(`"${code}"`);
    }
  });

  it('keeps usernames unique regardless of case', async () => {
    const username = newUsername();
    await signUp(t, newEmail(), username);
    const identifier = newEmail();
    const token = await verificationToken(t, identifier, 'REGISTER');
    const taken = await t
      .http()
      .post('/api/auth/register')
      .send({ identifier, username: username.toUpperCase(), verification_token: token })
      .expect(409);
    expect(taken.body).toEqual({ statusCode: 409, error: 'Conflict', message: expect.any(String), code: 'USERNAME_TAKEN' });
    // The taken name did not burn the token: another name succeeds with it.
    await t.http().post('/api/auth/register').send({ identifier, username: newUsername(), verification_token: token }).expect(201);
  });

  it('refuses a blocked user at login and stops their access tokens', async () => {
    const user = await signUp(t);
    await t.app.get(DataSource).getRepository(User).update({ id: user.id }, { isActive: false });
    const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`).expect(401);
    expect(me.body.code).toBe('TOKEN_INVALID');
    const token = await verificationToken(t, user.identifier, 'LOGIN');
    const login = await t.http().post('/api/auth/login').send({ identifier: user.identifier, verification_token: token }).expect(403);
    expect(login.body.code).toBe('USER_BLOCKED');
    const attempts = await t.app.get(DataSource).getRepository(AuditEvent).findBy({ type: 'user.blocked_attempt', targetId: user.id });
    expect(attempts.map((a) => a.details)).toEqual([{ via: 'login' }]);
  });

  it('answers ACCOUNT_EXISTS when the identifier was registered between verify and register', async () => {
    const identifier = newEmail();
    const token = await verificationToken(t, identifier, 'REGISTER');
    await createUser(t, identifier);
    expectError(
      await t.http().post('/api/auth/register').send({ identifier, username: newUsername(), verification_token: token }),
      'ACCOUNT_EXISTS',
    );
  });
});
