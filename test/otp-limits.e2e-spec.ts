import { DataSource } from 'typeorm';
import { AuditEvent } from '#audit';
import { expectError } from './support/expect-error.js';
import { newEmail } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

describe(`OTP hourly cap (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ OTP_RESEND_COOLDOWN_SECONDS: '0', OTP_HOURLY_LIMIT: '3' })));
  // (the hourly cap of 3 still leaves room: the lockout test asks for two codes)
  afterAll(() => t.close());

  it('sends at most OTP_HOURLY_LIMIT codes per identifier per hour, across purposes', async () => {
    const identifier = newEmail();
    const request = (purpose: string) => t.http().post('/api/auth/otp/request').send({ identifier, purpose });
    await request('REGISTER').expect(200);
    await request('LOGIN').expect(200);
    await request('REGISTER').expect(200);
    const capped = await request('REGISTER');
    expectError(capped, 'OTP_RATE_LIMITED');
    expect(Number(capped.headers['retry-after'])).toBeGreaterThan(3500);
    // Another identifier is unaffected.
    await t.http().post('/api/auth/otp/request').send({ identifier: newEmail(), purpose: 'REGISTER' }).expect(200);
  });

  it('replaces the previous code when a new one is sent', async () => {
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    const first = await t.lastCode('REGISTER', identifier);
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    const second = await t.lastCode('REGISTER', identifier);
    if (first !== second)
      expectError(await t.http().post('/api/auth/otp/verify').send({ identifier, otp: first, purpose: 'REGISTER' }), 'OTP_INVALID');
    await t.http().post('/api/auth/otp/verify').send({ identifier, otp: second, purpose: 'REGISTER' }).expect(200);
  });

  it('locks the identifier after ten wrong codes in an hour, across re-sends, and refuses new codes meanwhile', async () => {
    const identifier = newEmail();
    const request = () => t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' });
    const verify = (otp: string) => t.http().post('/api/auth/otp/verify').send({ identifier, otp, purpose: 'REGISTER' });
    const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

    await request().expect(200);
    const first = await t.lastCode('REGISTER', identifier);
    for (let i = 0; i < 4; i++) expectError(await verify(wrong(first)), 'OTP_INVALID');
    expectError(await verify(wrong(first)), 'OTP_LOCKED');
    await request().expect(200);
    const second = await t.lastCode('REGISTER', identifier);
    for (let i = 0; i < 4; i++) expectError(await verify(wrong(second)), 'OTP_INVALID');
    const locked = await verify(wrong(second));
    expectError(locked, 'IDENTIFIER_LOCKED');
    expect(locked.headers['retry-after']).toBe('900');

    // Locked: even the right code is refused, and no new code is sent.
    expectError(await verify(second), 'IDENTIFIER_LOCKED');
    expectError(await request(), 'IDENTIFIER_LOCKED');
    const events = await t.app.get(DataSource).getRepository(AuditEvent).findBy({ type: 'otp.identifier_locked' });
    expect(events.filter((e) => e.details?.identifier === identifier)).toHaveLength(1);
  });
});
