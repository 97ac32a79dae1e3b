import { DataSource } from 'typeorm';
import { User } from '#users';
import { expectError } from './support/expect-error.js';
import { logIn, signUp } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

describe(`sessions: refresh, rotation, logout (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  // The resend cooldown is not under test here, and these tests log one user in several times.
  beforeAll(async () => (t = await startTestApp({ OTP_RESEND_COOLDOWN_SECONDS: '0' })));
  afterAll(() => t.close());

  const refresh = (token: string) => t.http().post('/api/auth/token/refresh').send({ refresh: token });
  const me = (access: string) => t.http().get('/api/auth/me').set('Authorization', `Bearer ${access}`);

  it('rotates: a refresh gives a working pair and the presented refresh token dies', async () => {
    const user = await signUp(t);
    const rotated = await refresh(user.refresh).expect(200);
    expect(rotated.body).toEqual({ access: expect.any(String), refresh: expect.any(String) });
    expect(rotated.body.refresh).not.toBe(user.refresh);
    await me(rotated.body.access).expect(200);
    await refresh(rotated.body.refresh).expect(200);
  });

  it('revokes the whole family when a used refresh token is presented again', async () => {
    const user = await signUp(t);
    const next = await refresh(user.refresh).expect(200);
    expectError(await refresh(user.refresh), 'TOKEN_REUSED');
    // The thief's replay also killed the legitimate client's newer token.
    expectError(await refresh(next.body.refresh), 'TOKEN_REUSED');
  });

  it('ends one session on logout and leaves the others alone', async () => {
    const user = await signUp(t);
    const laptop = await logIn(t, user.identifier);
    await t.http().post('/api/auth/logout').send({ refresh: user.refresh }).expect(200);
    expectError(await refresh(user.refresh), 'TOKEN_INVALID');
    await refresh(laptop.refresh).expect(200);
  });

  it('ends every session and access token on logout/all, and a new login still works', async () => {
    const user = await signUp(t);
    const laptop = await logIn(t, user.identifier);
    await t.http().post('/api/auth/logout/all').set('Authorization', `Bearer ${user.access}`).expect(200);
    expectError(await me(user.access), 'TOKEN_INVALID');
    expectError(await me(laptop.access), 'TOKEN_INVALID');
    expectError(await refresh(user.refresh), 'TOKEN_INVALID');
    expectError(await refresh(laptop.refresh), 'TOKEN_INVALID');
    const fresh = await logIn(t, user.identifier);
    await me(fresh.access).expect(200);
  });

  it('refuses to refresh a blocked user', async () => {
    const user = await signUp(t);
    await t.app.get(DataSource).getRepository(User).update({ id: user.id }, { isActive: false });
    expectError(await refresh(user.refresh), 'USER_BLOCKED');
  });

  it('keeps the session (user agent, address) with the hashed refresh token', async () => {
    const user = await signUp(t);
    const rows = await t.app
      .get(DataSource)
      .query('SELECT token_hash, user_agent, ip, family_id FROM refresh_tokens WHERE user_id = $1', [user.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(user.refresh).not.toContain(rows[0].token_hash);
    expect(rows[0].ip).toEqual(expect.any(String));
  });
});
