import type { OtpStore } from './otp-store.js';

/**
 * The behaviour both OtpStore implementations promise. Run against the in-process store by
 * otp-store.memory.spec.ts and against a real Redis by test/real-services/otp-store.redis.e2e-spec.ts.
 */
export function otpStoreContract(
  name: string,
  setup: () => Promise<{ store: OtpStore; advance(seconds: number): Promise<void>; close(): Promise<void> }>,
) {
  describe(`OtpStore contract: ${name}`, () => {
    let store: OtpStore;
    let advance: (seconds: number) => Promise<void>;
    let close: () => Promise<void>;
    let n = 0;
    const id = () => `contract-${process.pid}-${Date.now()}-${n++}@example.com`;
    const issue = (identifier: string, overrides = {}) =>
      store.issueCode({ purpose: 'LOGIN', identifier, codeHash: 'H', ttlSeconds: 2, cooldownSeconds: 60, hourlyLimit: 10, ...overrides });
    const verify = (
      identifier: string,
      codeHash: string,
      tokenHash = `t-${identifier}`,
      lock = { failuresBeforeLock: 100, lockSeconds: 60 },
    ) => store.verifyCode({ purpose: 'LOGIN', identifier, codeHash, maxAttempts: 3, tokenHash, tokenTtlSeconds: 60, ...lock });

    beforeAll(async () => ({ store, advance, close } = await setup()));
    afterAll(() => close());

    it('issues a code, then refuses a resend within the cooldown with the seconds left', async () => {
      const identifier = id();
      expect(await issue(identifier)).toEqual({ outcome: 'issued' });
      const again = await issue(identifier);
      expect(again).toEqual({ outcome: 'cooldown', retryAfterSeconds: expect.any(Number) });
      expect((again as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(55);
    });

    it('caps codes per identifier per hour, across purposes', async () => {
      const identifier = id();
      await issue(identifier, { cooldownSeconds: 0, hourlyLimit: 3 });
      await issue(identifier, { cooldownSeconds: 0, hourlyLimit: 3, purpose: 'REGISTER' });
      await issue(identifier, { cooldownSeconds: 0, hourlyLimit: 3 });
      expect(await issue(identifier, { cooldownSeconds: 0, hourlyLimit: 3 })).toEqual({
        outcome: 'hourly-limit',
        retryAfterSeconds: expect.any(Number),
      });
    });

    it('verifies the right hash once, creating the verification token bound to purpose and identifier', async () => {
      const identifier = id();
      await issue(identifier);
      expect(await verify(identifier, 'H', 'tok1')).toEqual({ outcome: 'verified' });
      expect(await verify(identifier, 'H', 'tok2')).toEqual({ outcome: 'no-code' });
      expect(await store.consumeVerificationToken('tok1', 'REGISTER', identifier)).toBe(0);
      expect(await store.consumeVerificationToken('tok1', 'LOGIN', 'someone-else')).toBe(0);
      const msLeft = await store.consumeVerificationToken('tok1', 'LOGIN', identifier);
      expect(msLeft).toBeGreaterThan(55_000);
      expect(msLeft).toBeLessThanOrEqual(60_000);
      expect(await store.consumeVerificationToken('tok1', 'LOGIN', identifier)).toBe(0);
    });

    it('gives a consumed token back for no longer than it had left', async () => {
      const identifier = id();
      await issue(identifier);
      await verify(identifier, 'H', 'tok1');
      await store.consumeVerificationToken('tok1', 'LOGIN', identifier);
      await store.restoreVerificationToken('tok1', 'LOGIN', identifier, 1000);
      const msLeft = await store.consumeVerificationToken('tok1', 'LOGIN', identifier);
      expect(msLeft).toBeGreaterThan(0);
      expect(msLeft).toBeLessThanOrEqual(1000);
      await store.restoreVerificationToken('tok1', 'LOGIN', identifier, msLeft);
      await advance(1.2);
      expect(await store.consumeVerificationToken('tok1', 'LOGIN', identifier)).toBe(0);
    });

    it('counts wrong hashes and burns the code at the limit', async () => {
      const identifier = id();
      await issue(identifier);
      expect(await verify(identifier, 'X')).toEqual({ outcome: 'wrong', attemptsLeft: 2 });
      expect(await verify(identifier, 'X')).toEqual({ outcome: 'wrong', attemptsLeft: 1 });
      expect(await verify(identifier, 'X')).toEqual({ outcome: 'burned' });
      expect(await verify(identifier, 'H')).toEqual({ outcome: 'no-code' });
    });

    it('gives exactly one of many concurrent correct verifies a token', async () => {
      const identifier = id();
      await issue(identifier);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => verify(identifier, 'H', `race-${identifier}-${i}`)));
      expect(results.filter((r) => r.outcome === 'verified')).toHaveLength(1);
    });

    it('lets exactly one of many concurrent consumers spend a token', async () => {
      const identifier = id();
      await issue(identifier);
      await verify(identifier, 'H', `spend-${identifier}`);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.consumeVerificationToken(`spend-${identifier}`, 'LOGIN', identifier)),
      );
      expect(results.filter((msLeft) => msLeft > 0)).toHaveLength(1);
    });

    it('locks the identifier after too many wrong guesses across re-sent codes, then lets it try again', async () => {
      const identifier = id();
      const lock = { failuresBeforeLock: 4, lockSeconds: 1 };
      await issue(identifier, { cooldownSeconds: 0 });
      expect(await verify(identifier, 'X', 'a', lock)).toEqual({ outcome: 'wrong', attemptsLeft: 2 });
      expect(await verify(identifier, 'X', 'a', lock)).toEqual({ outcome: 'wrong', attemptsLeft: 1 });
      expect(await verify(identifier, 'X', 'a', lock)).toEqual({ outcome: 'burned' });
      await issue(identifier, { cooldownSeconds: 0 });
      expect(await verify(identifier, 'X', 'a', lock)).toEqual({ outcome: 'locked', retryAfterSeconds: 1, lockedNow: true });
      expect(await verify(identifier, 'H', 'a', lock)).toEqual({
        outcome: 'locked',
        retryAfterSeconds: expect.any(Number),
        lockedNow: false,
      });
      expect(await issue(identifier, { cooldownSeconds: 0 })).toEqual({ outcome: 'locked', retryAfterSeconds: expect.any(Number) });
      await advance(1.2);
      expect(await issue(identifier, { cooldownSeconds: 0 })).toEqual({ outcome: 'issued' });
      // The hour's failures still count: one more wrong guess locks again; a right one clears them.
      expect(await verify(identifier, 'X', 'a', lock)).toEqual({ outcome: 'locked', retryAfterSeconds: 1, lockedNow: true });
      await advance(1.2);
      await issue(identifier, { cooldownSeconds: 0 });
      expect(await verify(identifier, 'H', 'b', lock)).toEqual({ outcome: 'verified' });
      await issue(identifier, { cooldownSeconds: 0 });
      expect(await verify(identifier, 'X', 'c', lock)).toEqual({ outcome: 'wrong', attemptsLeft: 2 });
    });

    it('forgets a code when its time to live is over', async () => {
      const identifier = id();
      await issue(identifier, { ttlSeconds: 1 });
      await advance(1.2);
      expect(await verify(identifier, 'H')).toEqual({ outcome: 'no-code' });
    });
  });
}
