import { rememberingVerifier, type Verifier } from './verified-tokens.js';

describe('rememberingVerifier', () => {
  const key = { kid: 'a' };
  let calls: string[];
  let clock: number;
  const real: Verifier = (token, _key, _options, done) => {
    calls.push(token);
    if (token.startsWith('bad')) return done(new Error('invalid signature'));
    done(null, { exp: 100 });
  };
  const verify = (remembering: Verifier, token: string, withKey: unknown = key) =>
    new Promise<{ error: Error | null; payload?: { exp?: number } }>((resolve) =>
      remembering(token, withKey, {}, (error, payload) => resolve({ error, payload })),
    );

  beforeEach(() => {
    calls = [];
    clock = 50_000;
  });

  it('checks a token once per key, and again under another key', async () => {
    const remembering = rememberingVerifier(real, () => clock);
    expect(await verify(remembering, 'good')).toEqual({ error: null, payload: { exp: 100 } });
    expect(await verify(remembering, 'good')).toEqual({ error: null, payload: { exp: 100 } });
    expect(calls).toEqual(['good']);
    await verify(remembering, 'good', { kid: 'refreshed' });
    expect(calls).toEqual(['good', 'good']);
  });

  it('never remembers a failure, and forgets a token once it has expired', async () => {
    const remembering = rememberingVerifier(real, () => clock);
    expect((await verify(remembering, 'bad')).error?.message).toBe('invalid signature');
    expect((await verify(remembering, 'bad')).error?.message).toBe('invalid signature');
    expect(calls).toEqual(['bad', 'bad']);
    await verify(remembering, 'good');
    clock = 100_000; // exp (100 s) has passed: the real check runs (and would refuse it)
    await verify(remembering, 'good');
    expect(calls).toEqual(['bad', 'bad', 'good', 'good']);
  });
});
