import { SignInAttempts } from './sign-in-attempts.js';

describe('admin sign-in attempts (in process)', () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const attempts = () => new SignInAttempts(null, { now: () => new Date(now) });

  it('counts every attempt of a concurrent burst once, in order, for each of its keys', async () => {
    const counter = attempts();
    const counts = await Promise.all(Array.from({ length: 40 }, () => counter.take(['account:a', 'ip:1'])));
    expect(counts.map(([account]) => account).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(counts.filter(([account]) => account <= 5)).toHaveLength(5);
  });

  it('forgets an account on success, gives the address its attempt back, and ends the window after 15 minutes', async () => {
    const counter = attempts();
    await counter.take(['account:a', 'ip:1']);
    await counter.take(['account:a', 'ip:1']);
    await counter.clear('account:a');
    await counter.giveBack('ip:1');
    expect(await counter.take(['account:a', 'ip:1'])).toEqual([1, 2]);
    now += 15 * 60_000 + 1;
    expect(await counter.take(['account:a', 'ip:1'])).toEqual([1, 1]);
  });
});
