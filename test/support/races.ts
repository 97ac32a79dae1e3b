import { DataSource } from 'typeorm';
import { newEmail, newUsername, signUp, verificationToken } from './factories.js';
import type { TestApp } from './test-app.js';

/** The races that must each have exactly one winner, against an app `start` builds. */
export function describeRaces(title: string, start: () => Promise<TestApp>): void {
  describe(title, () => {
    let t: TestApp;
    beforeAll(async () => (t = await start()));
    afterAll(() => t?.close());

    it('gives exactly one verification token to 20 concurrent correct verifies', async () => {
      const identifier = newEmail();
      await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
      const otp = await t.lastCode('REGISTER', identifier);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => t.http().post('/api/auth/otp/verify').send({ identifier, otp, purpose: 'REGISTER' })),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 400).map((r) => r.body.code)).toEqual(Array(19).fill('OTP_EXPIRED'));
    });

    it('creates exactly one user from 20 concurrent registers with one token', async () => {
      const identifier = newEmail();
      const token = await verificationToken(t, identifier, 'REGISTER');
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.http().post('/api/auth/register').send({ identifier, username: newUsername(), verification_token: token }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      for (const loser of results.filter((r) => r.status !== 201)) expect(loser.body.code).toBe('VERIFICATION_TOKEN_INVALID');
      const [{ count }] = await t.app.get(DataSource).query('SELECT count(*)::int AS count FROM users WHERE email = $1', [identifier]);
      expect(count).toBe(1);
    });

    it('lets exactly one of two concurrent refreshes of one token succeed', async () => {
      const user = await signUp(t);
      const results = await Promise.all([0, 1].map(() => t.http().post('/api/auth/token/refresh').send({ refresh: user.refresh })));
      expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    });
  });
}
