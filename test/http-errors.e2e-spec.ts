import { createHmac } from 'node:crypto';
import { expectError } from './support/expect-error.js';
import { newEmail, signUp } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

const b64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
function forge(header: object, claims: object, secret?: string): string {
  const unsigned = `${b64url(header)}.${b64url(claims)}`;
  return `${unsigned}.${secret ? createHmac('sha256', secret).update(unsigned).digest('base64url') : ''}`;
}

describe(`HTTP errors and hostile input (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const post = (path: string) => t.http().post(path).set('Content-Type', 'application/json');

  it('refuses unknown fields, wrong types and a bad purpose with VALIDATION_FAILED and the details', async () => {
    const extra = await post('/api/auth/otp/request').send({ identifier: newEmail(), purpose: 'REGISTER', admin: true });
    expectError(extra, 'VALIDATION_FAILED');
    expect(extra.body.details).toEqual(['property admin should not exist']);
    expectError(await post('/api/auth/otp/request').send({ identifier: newEmail(), purpose: 'RESET' }), 'VALIDATION_FAILED');
    expectError(await post('/api/auth/otp/request').send({ identifier: 42, purpose: 'LOGIN' }), 'VALIDATION_FAILED');
    expectError(await post('/api/auth/otp/verify').send({ identifier: newEmail(), purpose: 'LOGIN', otp: '12ab56' }), 'VALIDATION_FAILED');
    expectError(await post('/api/auth/register').send({ identifier: newEmail(), username: 'x', verification_token: 'nope' }), 'VALIDATION_FAILED');
    expectError(await post('/api/auth/otp/request').send([]), 'VALIDATION_FAILED');
  });

  it('answers malformed JSON with MALFORMED_JSON', async () => {
    expectError(await post('/api/auth/otp/request').send('{"identifier": "a@b.co",'), 'MALFORMED_JSON');
  });

  it('answers a body over 16 KiB with 413 PAYLOAD_TOO_LARGE', async () => {
    expectError(await post('/api/auth/otp/request').send({ identifier: 'x'.repeat(17 * 1024), purpose: 'LOGIN' }), 'PAYLOAD_TOO_LARGE');
  });

  it('answers a body that is not JSON with 400', async () => {
    const res = await t.http().post('/api/auth/otp/request').set('Content-Type', 'text/plain').send('identifier=a@b.co');
    expectError(res, 'VALIDATION_FAILED');
  });

  it('answers an unknown route with NOT_FOUND in the same shape', async () => {
    expectError(await t.http().get('/api/nope'), 'NOT_FOUND');
    expectError(await t.http().delete('/api/auth/me'), 'NOT_FOUND');
  });

  it('asks for a token on /me without one, and refuses a bad one', async () => {
    expectError(await t.http().get('/api/auth/me'), 'AUTH_REQUIRED');
    expectError(await t.http().get('/api/auth/me').set('Authorization', 'Bearer not.a.jwt'), 'TOKEN_INVALID');
    expectError(await t.http().get('/api/auth/me').set('Authorization', 'Basic abc'), 'AUTH_REQUIRED');
  });

  it('refuses forged, mis-typed and misdirected tokens', async () => {
    const user = await signUp(t);
    const [, payload] = user.access.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const secret = t.config.jwt.secret;
    const now = Math.floor(Date.now() / 1000);
    const hostile = {
      'alg none': forge({ alg: 'none', typ: 'JWT' }, claims),
      'wrong key': forge({ alg: 'HS256', typ: 'JWT' }, claims, 'another-secret-another-secret-0123456789'),
      'tampered payload': `${user.access.split('.')[0]}.${b64url({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}.${user.access.split('.')[2]}`,
      expired: forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now - 3600, exp: now - 60 }, secret),
      'not yet valid': forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, nbf: now + 3600 }, secret),
      'wrong issuer': forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: 'someone-else' }, secret),
      'wrong audience': forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, aud: 'another-app' }, secret),
      'HS512 with the right key': forge({ alg: 'HS512', typ: 'JWT' }, claims, secret),
      'refresh token as access': user.refresh,
    };
    for (const [name, token] of Object.entries(hostile)) {
      const res = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`);
      expect({ name, status: res.status, code: res.body.code }).toEqual({ name, status: 401, code: 'TOKEN_INVALID' });
    }
    await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`).expect(200);
    expectError(await post('/api/auth/token/refresh').send({ refresh: user.access }), 'TOKEN_INVALID');
  });

  it('sends security headers and no X-Powered-By', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toEqual(expect.stringContaining('max-age='));
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
