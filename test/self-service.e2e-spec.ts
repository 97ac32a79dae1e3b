import { DevDeliveryChannel, DeliveryChannel, type OtpPurpose } from '#delivery';
import { expectError } from './support/expect-error.js';
import { logIn, newEmail, newPhone, newUsername, signUp, verificationToken } from './support/factories.js';
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
  const lastMessage = (purpose: OtpPurpose, identifier: string) =>
    (t.app.get(DeliveryChannel) as DevDeliveryChannel).lastMessage(purpose, identifier);
  const requestChange = (access: string, identifier: string) =>
    t.http().post('/api/auth/otp/request').set('Authorization', `Bearer ${access}`).send({ identifier, purpose: 'CHANGE_IDENTIFIER' });
  /** Request, read and verify a CHANGE_IDENTIFIER code for a new address of the signed-in user. */
  const changeToken = async (access: string, identifier: string) => {
    await requestChange(access, identifier).expect(200);
    const otp = await t.lastCode('CHANGE_IDENTIFIER', identifier);
    return (await t.http().post('/api/auth/otp/verify').send({ identifier, otp, purpose: 'CHANGE_IDENTIFIER' }).expect(200)).body
      .verification_token as string;
  };

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
    await refresh(stolenLaptop.refresh)
      .expect(200)
      .then((res) => (stolenLaptop.refresh = res.body.refresh));
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
    expect(
      (
        await as(me.access)
          .patch('/api/auth/me', { username: ` ${wanted.toUpperCase()} ` })
          .expect(200)
      ).body,
    ).toEqual(expect.objectContaining({ id: me.id, username: wanted }));
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
    expectError(
      await as(me.access).delete('/api/auth/me', { verification_token: await verificationToken(t, other.identifier, 'LOGIN') }),
      'VERIFICATION_TOKEN_INVALID',
    );
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

  it('changes my email with a code sent to the new one: the new one signs in, the old one is told and no longer does', async () => {
    const me = await signUp(t);
    const newAddress = newEmail();
    const token = await changeToken(me.access, newAddress);
    const changed = await t
      .http()
      .post('/api/auth/me/identifier')
      .set('Authorization', `Bearer ${me.access}`)
      .send({ identifier: newAddress.toUpperCase(), verification_token: token })
      .expect(200);
    expect(changed.body).toEqual(expect.objectContaining({ id: me.id, email: newAddress }));
    expect(await lastMessage('CHANGE_IDENTIFIER', me.identifier)).toEqual(
      expect.objectContaining({ kind: 'identifier-changed', code: null }),
    );
    await logIn(t, newAddress);
    // The old address is now nobody's: asking to sign in with it sends a notice, not a code.
    await t.http().post('/api/auth/otp/request').send({ identifier: me.identifier, purpose: 'LOGIN' }).expect(200);
    expect(await lastMessage('LOGIN', me.identifier)).toEqual(expect.objectContaining({ kind: 'no-account', code: null }));
    // The proof was spent with the change.
    expectError(
      await t
        .http()
        .post('/api/auth/me/identifier')
        .set('Authorization', `Bearer ${me.access}`)
        .send({ identifier: newAddress, verification_token: token }),
      'VERIFICATION_TOKEN_INVALID',
    );
  });

  it('adds a phone to an email account: both sign in', async () => {
    const me = await signUp(t);
    const phone = newPhone();
    await t
      .http()
      .post('/api/auth/me/identifier')
      .set('Authorization', `Bearer ${me.access}`)
      .send({ identifier: phone, verification_token: await changeToken(me.access, phone) })
      .expect(200);
    expect((await t.http().get('/api/auth/me').set('Authorization', `Bearer ${me.access}`).expect(200)).body).toEqual(
      expect.objectContaining({ email: me.identifier, phone }),
    );
    await logIn(t, phone);
    await logIn(t, me.identifier);
  });

  it('answers a request for an address another account holds exactly as for a free one, and sends no code to it', async () => {
    const me = await signUp(t);
    const owner = await signUp(t);
    const taken = await requestChange(me.access, owner.identifier).expect(200);
    const free = await requestChange(me.access, newEmail()).expect(200);
    expect(taken.body).toEqual(free.body);
    expect(await lastMessage('CHANGE_IDENTIFIER', owner.identifier)).toEqual(
      expect.objectContaining({ kind: 'account-exists', code: null }),
    );
    // Whatever the requester guesses, verify answers as for any wrong code.
    expectError(
      await t.http().post('/api/auth/otp/verify').send({ identifier: owner.identifier, otp: '123456', purpose: 'CHANGE_IDENTIFIER' }),
      'OTP_INVALID',
    );
  });

  it('refuses a CHANGE_IDENTIFIER code request without a valid token, and a proof for another address or purpose', async () => {
    const me = await signUp(t);
    expectError(
      await t.http().post('/api/auth/otp/request').send({ identifier: newEmail(), purpose: 'CHANGE_IDENTIFIER' }),
      'AUTH_REQUIRED',
    );
    expectError(await requestChange(`${me.access}x`, newEmail()), 'TOKEN_INVALID');
    // REGISTER and LOGIN take no token, and a stale one sent along (as some clients do on every call) changes nothing.
    await t
      .http()
      .post('/api/auth/otp/request')
      .set('Authorization', `Bearer ${me.access}x`)
      .send({ identifier: me.identifier, purpose: 'LOGIN' })
      .expect(200);
    await t
      .http()
      .post('/api/auth/otp/request')
      .set('Authorization', 'Basic dXNlcjpwYXNz')
      .send({ identifier: newEmail(), purpose: 'REGISTER' })
      .expect(200);
    const address = newEmail();
    const token = await changeToken(me.access, address);
    const other = newEmail();
    expectError(
      await t
        .http()
        .post('/api/auth/me/identifier')
        .set('Authorization', `Bearer ${me.access}`)
        .send({ identifier: other, verification_token: token }),
      'VERIFICATION_TOKEN_INVALID',
    );
    const loginProof = await verificationToken(t, me.identifier, 'LOGIN');
    expectError(
      await t
        .http()
        .post('/api/auth/me/identifier')
        .set('Authorization', `Bearer ${me.access}`)
        .send({ identifier: me.identifier, verification_token: loginProof }),
      'VERIFICATION_TOKEN_INVALID',
    );
    expectError(await t.http().post('/api/auth/me/identifier').send({ identifier: address, verification_token: token }), 'AUTH_REQUIRED');
  });

  it('says 409 ACCOUNT_EXISTS when the address was registered between the code and the change', async () => {
    const me = await signUp(t);
    const address = newEmail();
    const token = await changeToken(me.access, address);
    await signUp(t, address);
    expectError(
      await t
        .http()
        .post('/api/auth/me/identifier')
        .set('Authorization', `Bearer ${me.access}`)
        .send({ identifier: address, verification_token: token }),
      'ACCOUNT_EXISTS',
    );
    expect((await t.http().get('/api/auth/me').set('Authorization', `Bearer ${me.access}`).expect(200)).body.email).toBe(me.identifier);
  });
});
