import { DevDeliveryChannel, DeliveryChannel } from '#delivery';
import { expectError } from './support/expect-error.js';
import { normalizeIdentifier, UsersService } from '#users';
import { createUser, newEmail, newPhone, newUsername, signUp, verificationToken } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

describe(`OTP rules (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  let outbox: DevDeliveryChannel;
  beforeAll(async () => {
    t = await startTestApp();
    outbox = t.app.get(DeliveryChannel) as DevDeliveryChannel;
  });
  afterAll(() => t.close());

  const request = (identifier: string, purpose: string) => t.http().post('/api/auth/otp/request').send({ identifier, purpose });
  const verify = (identifier: string, otp: string, purpose: string) =>
    t.http().post('/api/auth/otp/verify').send({ identifier, otp, purpose });
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  it('answers REGISTER for an existing account exactly as for a new one, and sends no usable code', async () => {
    const existing = await createUser(t);
    const forNew = await request(newEmail(), 'REGISTER').expect(200);
    const forExisting = await request(existing.identifier, 'REGISTER').expect(200);
    expect(forExisting.body).toEqual(forNew.body);
    expect(await outbox.lastMessage('REGISTER', existing.identifier)).toEqual(
      expect.objectContaining({ kind: 'account-exists', code: null }),
    );
    // Verify answers as it would for a wrong guess at a real code.
    const attempt = await verify(existing.identifier, '123456', 'REGISTER');
    expectError(attempt, 'OTP_INVALID');
    expect(attempt.body.message).toContain('4 attempt(s) left');
  });

  it('answers LOGIN for an unknown identifier exactly as for a known one, and sends no usable code', async () => {
    const known = await createUser(t);
    const unknown = newEmail();
    const forKnown = await request(known.identifier, 'LOGIN').expect(200);
    const forUnknown = await request(unknown, 'LOGIN').expect(200);
    expect(forUnknown.body).toEqual(forKnown.body);
    expect(await outbox.lastMessage('LOGIN', unknown)).toEqual(expect.objectContaining({ kind: 'no-account', code: null }));
    expectError(await verify(unknown, '123456', 'LOGIN'), 'OTP_INVALID');
  });

  it('tells simultaneous requests apart: each known identifier gets its code, each unknown one the notice', async () => {
    // Checked together (one statement for the lookups of one turn of the event loop): no answer may
    // land on another request's identifier.
    const known = await Promise.all([1, 2, 3].map(() => createUser(t)));
    const unknown = [newEmail(), newEmail(), newEmail()];
    const phone = newPhone();
    await createUser(t, phone);
    const users = t.app.get(UsersService);
    const lookups = [...known.map((u) => u.identifier), ...unknown, phone, newPhone()].map((identifier) =>
      users.existsByIdentifier(normalizeIdentifier(identifier)),
    );
    expect(await Promise.all(lookups)).toEqual([true, true, true, false, false, false, true, false]);

    const identifiers = [...known.map((u) => u.identifier), ...unknown];
    await Promise.all(identifiers.map((identifier) => request(identifier, 'LOGIN').expect(200)));
    for (const { identifier } of known)
      expect(await outbox.lastMessage('LOGIN', identifier)).toEqual(
        expect.objectContaining({ kind: 'code', code: expect.stringMatching(/^\d{6}$/) }),
      );
    for (const identifier of unknown)
      expect(await outbox.lastMessage('LOGIN', identifier)).toEqual(expect.objectContaining({ kind: 'no-account', code: null }));
  });

  it('refuses a second request for the same key within the cooldown, with Retry-After', async () => {
    const identifier = newEmail();
    await request(identifier, 'REGISTER').expect(200);
    const again = await request(identifier, 'REGISTER');
    expectError(again, 'OTP_COOLDOWN');
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(55);
    expect(Number(again.headers['retry-after'])).toBeLessThanOrEqual(60);
    // The cooldown is per purpose: a LOGIN request is a different key.
    await request(identifier, 'LOGIN').expect(200);
  });

  it('burns the code after the fifth wrong attempt', async () => {
    const identifier = newEmail();
    await request(identifier, 'REGISTER').expect(200);
    const code = await t.lastCode('REGISTER', identifier);
    for (let left = 4; left >= 1; left--) {
      const res = await verify(identifier, wrong(code), 'REGISTER');
      expectError(res, 'OTP_INVALID');
      expect(res.body.message).toContain(`${left} attempt(s) left`);
    }
    expectError(await verify(identifier, wrong(code), 'REGISTER'), 'OTP_LOCKED');
    expectError(await verify(identifier, code, 'REGISTER'), 'OTP_EXPIRED');
  });

  it('accepts a code once', async () => {
    const identifier = newEmail();
    await request(identifier, 'REGISTER').expect(200);
    const code = await t.lastCode('REGISTER', identifier);
    await verify(identifier, code, 'REGISTER').expect(200);
    expectError(await verify(identifier, code, 'REGISTER'), 'OTP_EXPIRED');
  });

  it('does not accept a REGISTER code for LOGIN', async () => {
    const user = await signUp(t);
    await request(user.identifier, 'LOGIN').expect(200);
    const loginCode = await t.lastCode('LOGIN', user.identifier);
    expectError(await verify(user.identifier, loginCode, 'REGISTER'), 'OTP_EXPIRED');
    await verify(user.identifier, loginCode, 'LOGIN').expect(200);
  });

  it('binds the verification token to its identifier and purpose, and spends it once', async () => {
    const user = await signUp(t);
    const loginToken = await verificationToken(t, user.identifier, 'LOGIN');
    const other = await signUp(t);
    expectError(
      await t.http().post('/api/auth/login').send({ identifier: other.identifier, verification_token: loginToken }),
      'VERIFICATION_TOKEN_INVALID',
    );
    expectError(
      await t
        .http()
        .post('/api/auth/register')
        .send({ identifier: user.identifier, username: newUsername(), verification_token: loginToken }),
      'VERIFICATION_TOKEN_INVALID',
    );
    await t.http().post('/api/auth/login').send({ identifier: user.identifier, verification_token: loginToken }).expect(200);
    expectError(
      await t.http().post('/api/auth/login').send({ identifier: user.identifier, verification_token: loginToken }),
      'VERIFICATION_TOKEN_INVALID',
    );
  });

  it('refuses an identifier that is neither an email nor a phone number', async () => {
    for (const identifier of ['not-an-identifier', 'a@b', '12', '+1 555', 'x'.repeat(300)]) {
      const res = await request(identifier, 'REGISTER');
      expect(['IDENTIFIER_INVALID', 'VALIDATION_FAILED']).toContain(res.body.code);
      expect(res.status).toBe(400);
    }
  });
});
