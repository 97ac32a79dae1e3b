import { PasswordHasher } from './password-hasher.js';

describe('PasswordHasher', () => {
  it('verifies the right password only, and an unknown account never', async () => {
    const hasher = new PasswordHasher();
    const hash = await hasher.hash('correct horse battery');
    expect(await hasher.verify(hash, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(hash, 'wrong horse battery')).toBe(false);
    expect(await hasher.verify(null, 'correct horse battery')).toBe(false);
  });

  it('holds at most 32 checks (one running, the rest waiting their turn) and refuses more at once', async () => {
    const hasher = new PasswordHasher();
    const hash = await hasher.hash('correct horse battery');
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => hasher.verify(hash, 'correct horse battery')));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused).toHaveLength(8);
    expect(refused.map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(Array(8).fill('RATE_LIMITED'));
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value === true)).toHaveLength(32);
    // Once the queue has drained, checks are taken again.
    expect(await hasher.verify(hash, 'correct horse battery')).toBe(true);
  });
});
