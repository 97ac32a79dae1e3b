import { expectError } from './support/expect-error.js';
import { logIn, newUsername, signUp, verificationToken } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

describe(`self-service: sessions, username, account deletion (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ OTP_RESEND_COOLDOWN_SECONDS: '0' })));
  afterAll(() => t.close());

  const as = (token: string) => ({
    get: (path: string) => t.http().get(path).set('Authorization', `Bearer ${token}`),
    patch: (path: string, body: object) => t.http().patch(path).set('Authorization', `Bearer ${token}`).send(body),
    delete: (path: string, body?: object) => t.http().delete(path).set('Authorization', `Bearer ${token}`).send(body),
  });
  const refresh = (token: string) => t.http().post('/api/auth/token/refresh').send({ refresh: token });

  it('lists my live sessions and marks the one my token belongs to', async () => {
    const phone = await signUp(t);
    const laptop = await logIn(t, phone.identifier);
    const fromPhone = (await as(phone.access).get('/api/auth/sessions').expect(200)).body.items;
    expect(fromPhone).toHaveLength(2);
    expect(fromPhone.map((session: { current: boolean }) => session.current)).toEqual([false, true]);
    const fromLaptop = (await as(laptop.access).get('/api/auth/sessions').expect(200)).body.items;
    expect(fromLaptop.map((session: { current: boolean }) => session.current)).toEqual([true, false]);
    // A refresh keeps the session (same id) and its access tokens keep naming it.
    const rotated = await refresh(laptop.refresh).expect(200);
    const afterRotation = (await as(rotated.body.access).get('/api/auth/sessions').expect(200)).body.items;
    expect(afterRotation.map((session: { id: string; current: boolean }) => [session.id, session.current])).toEqual([
      [fromLaptop[0].id, true],
      [fromLaptop[1].id, false],
    ]);
    expectError(await t.http().get('/api/auth/sessions'), 'AUTH_REQUIRED');
  });

  it('ends one of my sessions from another device: its refresh token stops at once; another user’s session is 404', async () => {
    const me = await signUp(t);
    const stolenLaptop = await logIn(t, me.identifier);
    const [laptopSession] = (await as(me.access).get('/api/auth/sessions').expect(200)).body.items;
    const stranger = await signUp(t);
    expectError(await as(stranger.access).delete(`/api/auth/sessions/${laptopSession.id}`), 'NOT_FOUND');
    await refresh(stolenLaptop.refresh).expect(200).then((res) => (stolenLaptop.refresh = res.body.refresh));
    await as(me.access).delete(`/api/auth/sessions/${laptopSession.id}`).expect(204);
    expectError(await refresh(stolenLaptop.refresh), 'TOKEN_INVALID');
    await refresh(me.refresh).expect(200);
    expectError(await as(me.access).delete(`/api/auth/sessions/${laptopSession.id}`), 'NOT_FOUND');
    expectError(await as(me.access).delete('/api/auth/sessions/not-a-uuid'), 'VALIDATION_FAILED');
  });

  it('changes my username with the rules and the 409 of sign-up', async () => {
    const me = await signUp(t);
    const other = await signUp(t);
    const wanted = newUsername();
    expect((await as(me.access).patch('/api/auth/me', { username: ` ${wanted.toUpperCase()} ` }).expect(200)).body).toEqual(expect.objectContaining({ id: me.id, username: wanted }));
    expect((await as(me.access).get('/api/auth/me').expect(200)).body.username).toBe(wanted);
    expectError(await as(me.access).patch('/api/auth/me', { username: other.username }), 'USERNAME_TAKEN');
    expectError(await as(me.access).patch('/api/auth/me', { username: 'x' }), 'VALIDATION_FAILED');
    // Only the username: a role in the body is not a field of this route.
    expectError(await as(me.access).patch('/api/auth/me', { username: newUsername(), role: 'admin' }), 'VALIDATION_FAILED');
    expect((await as(me.access).get('/api/auth/me').expect(200)).body.role).toBe('user');
  });

  it('deletes my account only with a fresh LOGIN proof; then the address can register again', async () => {
    const me = await signUp(t);
    const other = await signUp(t);
    expectError(await as(me.access).delete('/api/auth/me', {}), 'VALIDATION_FAILED');
    // A token for another account, or for sign-up, is no proof.
    expectError(await as(me.access).delete('/api/auth/me', { verification_token: await verificationToken(t, other.identifier, 'LOGIN') }), 'VERIFICATION_TOKEN_INVALID');
    await as(me.access).get('/api/auth/me').expect(200);
    const proof = await verificationToken(t, me.identifier, 'LOGIN');
    await as(me.access).delete('/api/auth/me', { verification_token: proof }).expect(204);
    expectError(await as(me.access).get('/api/auth/me'), 'TOKEN_INVALID');
    expectError(await refresh(me.refresh), 'TOKEN_INVALID');
    const again = await signUp(t, me.identifier, me.username);
    expect(again.id).not.toBe(me.id);
    // The proof was spent.
    expectError(await as(again.access).delete('/api/auth/me', { verification_token: proof }), 'VERIFICATION_TOKEN_INVALID');
  });
});
