import { DataSource } from 'typeorm';
import { Metrics } from '#metrics';
import { RedisConnection } from '#redis';
import { expectError } from './support/expect-error.js';
import { newEmail, newFrenchPhone, newPhone } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

describe(`the fleet-wide SMS budget (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  const startedAt = new Date();
  beforeAll(async () => {
    t = await startTestApp({ SMS_MAX_PER_HOUR: '3', SMS_MAX_PER_COUNTRY_PER_HOUR: '2' });
    // On Redis the budget is the fleet's, kept for the clock hour: start from an unspent one.
    const redis = t.app.get(RedisConnection, { strict: false });
    if (redis) {
      const tag = `{sms-budget:${new Date().toISOString().slice(0, 13)}}`;
      await redis.run((client) =>
        client.del([
          `${tag}:all`,
          `${tag}:country:DE`,
          `${tag}:country:FR`,
          `${tag}:reported:all`,
          `${tag}:reported:DE`,
          `${tag}:reported:FR`,
        ]),
      );
    }
  });
  afterAll(() => t.close());

  const request = (identifier: string) => t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' });
  const refusals = async (country: string) =>
    (await t.app.get(Metrics).smsBudgetRefusals.get()).values.find((v) => v.labels.country === country)?.value ?? 0;

  it('refuses SMS past the per-country and the all-numbers budget with 429 and Retry-After, counts and audits it once, and leaves email alone', async () => {
    const german = newPhone();
    await request(german).expect(200);
    // Refused after the budget was taken (the resend cooldown): that SMS is not sent, so it is given back.
    expectError(await request(german), 'OTP_COOLDOWN');
    await request(newPhone()).expect(200);
    const overCountry = await request(newPhone());
    expectError(overCountry, 'SMS_BUDGET_EXCEEDED');
    expect(Number(overCountry.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(overCountry.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expectError(await request(newPhone()), 'SMS_BUDGET_EXCEEDED');

    // Another country has budget left, until all numbers together have spent theirs.
    await request(newFrenchPhone()).expect(200);
    expectError(await request(newFrenchPhone()), 'SMS_BUDGET_EXCEEDED');
    await request(newEmail()).expect(200);

    expect([await refusals('DE'), await refusals('FR')]).toEqual([2, 1]);
    const audited = (await t.app
      .get(DataSource)
      .query(`SELECT details FROM audit_events WHERE type = 'sms.budget_exceeded' AND created_at >= $1 ORDER BY created_at`, [
        startedAt,
      ])) as {
      details: Record<string, unknown>;
    }[];
    expect(audited.map((row) => row.details)).toEqual([
      { scope: 'country', country: 'DE', limit: 2 },
      { scope: 'all', country: 'FR', limit: 3 },
    ]);
  });
});
