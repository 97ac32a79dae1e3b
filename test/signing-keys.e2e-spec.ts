import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { KeyRing, SigningKeysService } from '#signing-keys';
import { CLI_ACTOR } from '#audit';
import { expectError } from './support/expect-error.js';
import { signUp } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

const b64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const decode = (token: string, part: 0 | 1) => JSON.parse(Buffer.from(token.split('.')[part], 'base64url').toString());
const hs256 = (header: object, claims: object, secret: string | Buffer) => {
  const unsigned = `${b64url(header)}.${b64url(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
};
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'use', 'alg'];

describe(`signing keys and the JWKS (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ JWKS_MAX_AGE_SECONDS: '120' })));
  afterAll(() => t.close());

  const me = (token: string) => t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`);

  it('signs with ES256 by default, names the key in every token, and publishes it with no private member', async () => {
    const user = await signUp(t);
    const jwks = await t.http().get('/.well-known/jwks.json').expect(200);
    expect(jwks.headers['content-type']).toContain('application/jwk-set+json');
    expect(jwks.headers['cache-control']).toBe('public, max-age=120');
    expect(decode(user.access, 0).typ).toBe('at+jwt'); // RFC 9068, so that verifiers elsewhere can tell access from refresh
    expect(decode(user.refresh, 0).typ).toBe('JWT');
    for (const token of [user.access, user.refresh]) {
      const header = decode(token, 0);
      expect(header).toEqual({ alg: 'ES256', typ: expect.any(String), kid: expect.any(String) });
      expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
    }
    expect(jwks.body.keys.length).toBeGreaterThanOrEqual(2); // current and next at least
    for (const key of jwks.body.keys) {
      expect(key).toEqual(expect.objectContaining({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256', kid: expect.any(String) }));
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
      expect(Object.keys(key).every((member) => PUBLIC_MEMBERS.includes(member))).toBe(true);
    }
  });

  it('refuses forged, confused, misdirected and mis-typed tokens with 401', async () => {
    const user = await signUp(t);
    const header = decode(user.access, 0);
    const claims = decode(user.access, 1);
    const signer = await t.app.get(KeyRing).currentSigner();
    const published = (await t.http().get('/.well-known/jwks.json')).body.keys.find((k: { kid: string }) => k.kid === header.kid);
    const publicPem = createPublicKey({ key: published, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const now = Math.floor(Date.now() / 1000);
    const sign = (payload: object, key: KeyObject, options: jwt.SignOptions) => jwt.sign(payload, key, { algorithm: 'ES256', ...options });
    const { iat, exp, iss, aud, jti, ...rest } = claims;
    const realKey = { keyid: header.kid };
    const hostile: Record<string, string> = {
      'alg none': `${b64url({ alg: 'none', typ: 'JWT', kid: header.kid })}.${b64url(claims)}.`,
      'tampered payload': `${user.access.split('.')[0]}.${b64url({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}.${user.access.split('.')[2]}`,
      'another key under our kid': sign(claims, stranger, realKey),
      'an unknown kid': sign(claims, stranger, { keyid: 'unknown-kid' }),
      'no kid': sign(claims, signer.key, {}),
      'HS256 with the public key (PEM) as secret': hs256({ alg: 'HS256', typ: 'JWT', kid: header.kid }, claims, publicPem),
      'HS256 with the public key (JWK text) as secret': hs256(
        { alg: 'HS256', typ: 'JWT', kid: header.kid },
        claims,
        JSON.stringify(published),
      ),
      'RS256 named on an EC key': `${b64url({ alg: 'RS256', typ: 'JWT', kid: header.kid })}.${user.access.split('.').slice(1).join('.')}`,
      expired: sign({ ...rest, iat: now - 3600, exp: now - 60 }, signer.key, { keyid: signer.kid, issuer: iss, audience: aud, jwtid: jti }),
      'not yet valid': sign({ ...rest, iat: now, exp: now + 600, nbf: now + 300 }, signer.key, {
        keyid: signer.kid,
        issuer: iss,
        audience: aud,
        jwtid: jti,
      }),
      'wrong issuer': sign({ ...rest }, signer.key, {
        keyid: signer.kid,
        expiresIn: 600,
        issuer: 'someone-else',
        audience: aud,
        jwtid: jti,
      }),
      'wrong audience': sign({ ...rest }, signer.key, {
        keyid: signer.kid,
        expiresIn: 600,
        issuer: iss,
        audience: 'another-app',
        jwtid: jti,
      }),
      'a refresh token as access token': user.refresh,
    };
    for (const [name, token] of Object.entries(hostile)) {
      const res = await me(token);
      expect({ name, status: res.status, code: res.body.code }).toEqual({ name, status: 401, code: 'TOKEN_INVALID' });
    }
    // The genuine one still works, and an access token is no refresh token.
    await me(user.access).expect(200);
    expectError(await t.http().post('/api/auth/token/refresh').send({ refresh: user.access }), 'TOKEN_INVALID');
    expect(exp - iat).toBe(t.config.jwt.accessTtlSeconds);
  });

  it('rotates without logging anyone out, and retiring a key kills every token it signed', async () => {
    const keys = t.app.get(SigningKeysService);
    const before = await signUp(t);
    const oldKid = decode(before.access, 0).kid;

    const rotation = await keys.rotate(CLI_ACTOR, { force: true });
    expect(rotation.previous).toBe(oldKid);
    // The new next key is seconds old: verifiers may not have it yet, so an unforced rotation waits.
    await expect(keys.rotate(CLI_ACTOR)).rejects.toMatchObject({ code: 'KEY_NOT_READY' });
    const after = await signUp(t);
    expect(decode(after.access, 0).kid).toBe(rotation.current);
    const jwks = (await t.http().get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
    expect(jwks).toEqual(expect.arrayContaining([rotation.previous, rotation.current, rotation.next]));
    // Nobody was logged out: the old access token works, and the old refresh token rotates.
    await me(before.access).expect(200);
    const refreshed = await t.http().post('/api/auth/token/refresh').send({ refresh: before.refresh }).expect(200);
    expect(decode(refreshed.body.access, 0).kid).toBe(rotation.current);

    await keys.retire(oldKid, CLI_ACTOR);
    expectError(await me(before.access), 'TOKEN_INVALID');
    expect((await t.http().get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid)).not.toContain(oldKid);
    await me(after.access).expect(200);
    await me(refreshed.body.access).expect(200);
  });
});

describe('other algorithms (embedded, fresh keys)', () => {
  // A fresh in-memory database, whatever this run's backend: the algorithm applies to keys as they are created.
  const fresh = { DATABASE_URL: '', REDIS_URL: '' };

  it('signs with RS256 when JWT_ALGORITHM=RS256 and publishes RSA keys', async () => {
    const t = await startTestApp({ ...fresh, JWT_ALGORITHM: 'RS256' });
    try {
      const user = await signUp(t);
      expect(decode(user.access, 0).alg).toBe('RS256');
      const { keys } = (await t.http().get('/.well-known/jwks.json')).body;
      for (const key of keys) {
        expect(key).toEqual(expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig', n: expect.any(String), e: 'AQAB' }));
        for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
      }
      await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`).expect(200);
    } finally {
      await t.close();
    }
  });

  it('signs with the shared secret when JWT_ALGORITHM=HS256, publishes no keys, and refuses HS512 and forgeries', async () => {
    const secret = 'hs256-shared-secret-hs256-shared-secret-01';
    const t = await startTestApp({ ...fresh, JWT_ALGORITHM: 'HS256', JWT_SECRET: secret });
    try {
      const user = await signUp(t);
      const header = decode(user.access, 0);
      expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: expect.stringMatching(/^hs256-/) });
      expect((await t.http().get('/.well-known/jwks.json').expect(200)).body).toEqual({ keys: [] });
      const claims = decode(user.access, 1);
      const unsigned512 = `${b64url({ alg: 'HS512', typ: 'JWT', kid: header.kid })}.${b64url(claims)}`;
      const hostile = {
        'HS512 with the right key': `${unsigned512}.${createHmac('sha512', secret).update(unsigned512).digest('base64url')}`,
        'wrong secret': hs256(header, claims, 'another-secret-another-secret-0123456789'),
        'another kid': hs256({ ...header, kid: 'hs256-other' }, claims, secret),
        'alg none': `${b64url({ alg: 'none', typ: 'JWT', kid: header.kid })}.${b64url(claims)}.`,
      };
      for (const [name, token] of Object.entries(hostile)) {
        const res = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`);
        expect({ name, status: res.status }).toEqual({ name, status: 401 });
      }
      await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`).expect(200);
      await t
        .http()
        .get('/api/auth/me')
        .set('Authorization', `Bearer ${hs256(header, claims, secret)}`)
        .expect(200);
    } finally {
      await t.close();
    }
  });
});
