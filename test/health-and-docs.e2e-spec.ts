import { backend, startTestApp, type TestApp } from './support/test-app.js';

describe(`health and API docs (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('answers liveness and readiness, naming each dependency', async () => {
    await t.http().get('/health').expect(200, { status: 'ok' });
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { database: 'up', redis: backend.redis === 'redis' ? 'up' : 'in-process' } });
  });

  it('documents every endpoint, its errors and bearer auth in /docs-json', async () => {
    const spec = (await t.http().get('/docs-json').expect(200)).body;
    expect(Object.keys(spec.paths).sort()).toEqual(
      [
        '/api/auth/login',
        '/api/auth/logout',
        '/api/auth/logout/all',
        '/api/auth/me',
        '/api/auth/otp/request',
        '/api/auth/otp/verify',
        '/api/auth/register',
        '/api/auth/token/refresh',
        '/api/dev/otp',
        '/.well-known/jwks.json',
        '/health',
        '/health/ready',
      ].sort(),
    );
    expect(spec.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(spec.paths['/api/auth/me'].get.security).toEqual([{ bearer: [] }]);
    expect(spec.paths['/api/auth/otp/verify'].post.responses['400'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponseDto');
    expect(spec.components.schemas.RegisterDto.required).toEqual(['identifier', 'username', 'verification_token']);
    expect(spec.components.schemas.UserResponseDto.properties).not.toHaveProperty('password_hash');
  });

  it('serves Swagger UI at /docs', async () => {
    const page = await t.http().get('/docs').expect(200);
    expect(page.text).toContain('swagger-ui');
  });
});
