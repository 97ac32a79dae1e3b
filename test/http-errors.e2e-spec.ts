import { connect, type AddressInfo } from 'node:net';
import { expectError } from './support/expect-error.js';
import { newEmail } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

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
    expectError(
      await post('/api/auth/register').send({ identifier: newEmail(), username: 'x', verification_token: 'nope' }),
      'VALIDATION_FAILED',
    );
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

  it('answers a form body with 415 UNSUPPORTED_MEDIA_TYPE, and a malformed URL with 400, in the same shape', async () => {
    expectError(
      await t.http().post('/api/auth/otp/request').set('Content-Type', 'application/x-www-form-urlencoded').send('identifier=a@b.co'),
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(await t.http().get('/api/auth/%zz'), 'VALIDATION_FAILED');
  });

  it('routes a path with a trailing slash as the path without one, as Express did', async () => {
    expectError(await t.http().get('/api/auth/me/'), 'AUTH_REQUIRED');
    await t.http().get('/health/').expect(200);
  });

  it('answers an unknown route with NOT_FOUND in the same shape', async () => {
    expectError(await t.http().get('/api/nope'), 'NOT_FOUND');
    expectError(await t.http().get('/nothing-here'), 'NOT_FOUND');
    expectError(await t.http().post('/health/nope').send({}), 'NOT_FOUND');
  });

  it('answers a known route asked with another method with 405 METHOD_NOT_ALLOWED and what it allows', async () => {
    const me = await t.http().put('/api/auth/me');
    expectError(me, 'METHOD_NOT_ALLOWED');
    expect(me.headers.allow).toBe('GET, HEAD, PATCH, DELETE');
    const request = await t.http().get('/api/auth/otp/request');
    expectError(request, 'METHOD_NOT_ALLOWED');
    expect(request.headers.allow).toBe('POST');
    expectError(await t.http().put('/health/').send({}), 'METHOD_NOT_ALLOWED');
  });

  it('answers headers over the limit with 431 HEADERS_TOO_LARGE in the same shape', async () => {
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.end(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      let text = '';
      socket
        .setEncoding('utf8')
        .on('data', (chunk) => (text += chunk))
        .on('end', () => resolve(text))
        .on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      statusCode: 431,
      error: 'Request Header Fields Too Large',
      message: expect.any(String),
      code: 'HEADERS_TOO_LARGE',
    });
  });

  it('answers a lone UTF-16 surrogate in any text with a 400, on every route that takes an identifier', async () => {
    const identifier = '\ud800@example.com';
    const token = '6f1c1b7e-1111-4111-8111-111111111111';
    for (const [path, body] of [
      ['/api/auth/otp/request', { identifier, purpose: 'LOGIN' }],
      ['/api/auth/otp/verify', { identifier, purpose: 'LOGIN', otp: '123456' }],
      ['/api/auth/register', { identifier, username: 'someone', verification_token: token }],
      ['/api/auth/login', { identifier, verification_token: token }],
    ] as const) {
      const res = await post(path).send(JSON.stringify(body)); // JSON.stringify writes the lone surrogate as \ud800
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 400, code: 'MALFORMED_JSON' });
    }
    // A surrogate pair (an emoji) is ordinary text and goes on to the usual checks.
    expectError(
      await post('/api/auth/otp/request').send(JSON.stringify({ identifier: '\ud83d\ude42@example.com', purpose: 'LOGIN' })),
      'IDENTIFIER_INVALID',
    );
  });

  it('answers arrays and objects nested thousands deep with 400 MALFORMED_JSON before parsing them', async () => {
    const deep = (open: string, close: string) => `${open.repeat(3000)}1${close.repeat(3000)}`;
    for (const nested of [deep('[', ']'), `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`]) {
      expectError(await post('/api/auth/otp/request').send(`{"identifier":"a@b.co","purpose":"LOGIN","x":${nested}}`), 'MALFORMED_JSON');
      expectError(await post('/api/auth/otp/request').send(`{"identifier":${nested},"purpose":"LOGIN"}`), 'MALFORMED_JSON');
    }
    // Brackets inside strings are text, not nesting.
    expectError(
      await post('/api/auth/otp/request').send(JSON.stringify({ identifier: '['.repeat(200), purpose: 'LOGIN' })),
      'IDENTIFIER_INVALID',
    );
  });

  it('asks for a token on /me without one, and refuses a bad one', async () => {
    expectError(await t.http().get('/api/auth/me'), 'AUTH_REQUIRED');
    expectError(await t.http().get('/api/auth/me').set('Authorization', 'Bearer not.a.jwt'), 'TOKEN_INVALID');
    expectError(await t.http().get('/api/auth/me').set('Authorization', 'Basic abc'), 'AUTH_REQUIRED');
  });

  it('sends security headers and no X-Powered-By', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toEqual(expect.stringContaining('max-age='));
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe(`CORS (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ CORS_ORIGINS: 'https://app.example' })));
  afterAll(() => t.close());

  const preflight = (origin: string) =>
    t
      .http()
      .options('/api/auth/otp/request')
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');

  it('answers a listed origin, preflight and request, without credentials', async () => {
    const allowed = await preflight('https://app.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(allowed.headers['access-control-allow-methods']).toContain('POST');
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
    const request = await t.http().get('/health').set('Origin', 'https://app.example').expect(200);
    expect(request.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('gives any other origin no CORS headers', async () => {
    expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
    expect((await t.http().get('/health').set('Origin', 'https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
  });
});
