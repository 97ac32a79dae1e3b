import { expectError } from './support/expect-error.js';
import { createUser, newEmail, newFrenchPhone, newPhone } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

const random = (digits: number) => String(Math.floor(Math.random() * 10 ** digits)).padStart(digits, '0');
/** Numbers of each kind that libphonenumber takes as valid, fresh per run (shared Redis keeps hourly counts). */
const usNumber = () => `+1415555${random(4)}`;
const frenchPremiumRate = () => `+33899${random(6)}`;

describe(`SMS country rules (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ SMS_ALLOWED_COUNTRIES: 'DE,FR', SMS_BLOCKED_PREFIXES: '+33899,+33897' })));
  afterAll(() => t.close());

  const request = (identifier: string, purpose = 'REGISTER') => t.http().post('/api/auth/otp/request').send({ identifier, purpose });

  it('sends codes to numbers of the allowed countries', async () => {
    for (const number of [newPhone(), newFrenchPhone()]) {
      await request(number).expect(200);
      await expect(t.lastCode('REGISTER', number)).resolves.toMatch(/^\d{6}$/);
    }
  });

  it('refuses a number of another country, or in a blocked range, with 400 PHONE_COUNTRY_NOT_ALLOWED and nothing sent', async () => {
    for (const number of [usNumber(), frenchPremiumRate()]) {
      for (const purpose of ['REGISTER', 'LOGIN']) expectError(await request(number, purpose), 'PHONE_COUNTRY_NOT_ALLOWED');
      await expect(t.lastCode('REGISTER', number)).rejects.toThrow(/no code was sent/);
    }
    // Email is not affected.
    await request(newEmail()).expect(200);
  });

  it('answers the same whether or not the number has an account', async () => {
    const known = await createUser(t, usNumber());
    const unknown = usNumber();
    const [a, b] = [await request(known.identifier, 'LOGIN'), await request(unknown, 'LOGIN')];
    expect({ status: a.status, code: a.body.code }).toEqual({ status: b.status, code: b.body.code });
    expectError(a, 'PHONE_COUNTRY_NOT_ALLOWED');
  });

  it('sends to every country when no rule is set', async () => {
    const open = await startTestApp();
    try {
      const number = usNumber();
      await open.http().post('/api/auth/otp/request').send({ identifier: number, purpose: 'REGISTER' }).expect(200);
      await expect(open.lastCode('REGISTER', number)).resolves.toMatch(/^\d{6}$/);
    } finally {
      await open.close();
    }
  });
});
