import type { JwtService } from '@nestjs/jwt';
import type { Clock } from '#common';
import type { AppConfig } from '#config';
import type { KeyRing } from '#signing-keys';
import type { TokenClaims } from './token-claims.js';
import { TokenVerifier } from './token-verifier.js';

const config = { jwt: { issuer: 'otp-auth', audience: 'clients' } } as AppConfig;
const claims = (type: 'access' | 'refresh', exp = 100): TokenClaims => ({
  sub: '3f0e4c5a-1b2c-4d5e-8f90-123456789abc',
  jti: 'j',
  type,
  sv: 0,
  iat: 1,
  exp,
  iss: 'otp-auth',
  aud: 'clients',
});

describe('TokenVerifier', () => {
  let checked: string[];
  let seconds: number;
  let key: object;
  let verifier: TokenVerifier;
  beforeEach(() => {
    checked = [];
    seconds = 50;
    key = { kid: 'a' };
    // The signature check itself, faked: tokens name what they hold ("access", "refresh", "bad…").
    const jwt = {
      verifyAsync: async (token: string) => {
        checked.push(token);
        if (token.startsWith('bad')) throw new Error('invalid signature');
        return claims(token.startsWith('refresh') ? 'refresh' : 'access', token.endsWith('-short') ? 60 : 100);
      },
    } as unknown as JwtService;
    const keys = { verificationKey: async () => ({ key, algorithm: 'ES256' }) } as unknown as KeyRing;
    const clock = { now: () => new Date(seconds * 1000) } as Clock;
    verifier = new TokenVerifier(config, jwt, keys, clock);
  });

  it('checks an access token’s signature once per key, and again under another key', async () => {
    await verifier.verify('access', 'access');
    await verifier.verify('access', 'access');
    expect(checked).toEqual(['access']);
    key = { kid: 'reloaded' };
    await verifier.verify('access', 'access');
    expect(checked).toEqual(['access', 'access']);
  });

  it('never remembers a failure, a refresh token, or a token past its expiry', async () => {
    for (let i = 0; i < 2; i++) await expect(verifier.verify('bad', 'access')).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    await verifier.verify('refresh', 'refresh');
    await verifier.verify('refresh', 'refresh');
    await verifier.verify('access-short', 'access');
    seconds = 61; // past its exp (60): the real check runs again (and would refuse it)
    await verifier.verify('access-short', 'access');
    expect(checked).toEqual(['bad', 'bad', 'refresh', 'refresh', 'access-short', 'access-short']);
  });

  it('refuses a remembered access token where a refresh token is expected', async () => {
    await verifier.verify('access', 'access');
    await expect(verifier.verify('access', 'refresh')).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});
