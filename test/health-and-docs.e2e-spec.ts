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
        '/api/auth/me/identifier',
        '/api/auth/sessions',
        '/api/auth/sessions/{id}',
        '/api/admin/audit-events',
        '/api/admin/sessions/{sessionId}',
        '/api/admin/signing-keys',
        '/api/admin/signing-keys/rotate',
        '/api/admin/users',
        '/api/admin/users/{id}',
        '/api/admin/users/{id}/block',
        '/api/admin/users/{id}/sessions',
        '/api/admin/users/{id}/unblock',
        '/api/admin/webhooks',
        '/api/admin/webhooks/{id}',
        '/api/admin/webhooks/{id}/deliveries',
        '/api/dev/otp',
        '/.well-known/jwks.json',
        '/health',
        '/health/ready',
      ].sort(),
    );
    expect(spec.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(spec.paths['/api/auth/me'].get.security).toEqual([{ bearer: [] }]);
    expect(spec.paths['/api/auth/otp/verify'].post.responses['400'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ErrorResponseDto',
    );
    expect(spec.components.schemas.RegisterDto.required).toEqual(['identifier', 'username', 'verification_token']);
    expect(spec.components.schemas.UserResponseDto.properties).not.toHaveProperty('password_hash');
    // Every admin operation: under the admin tag, behind the bearer token, with its 401 and 403.
    const adminOperations = Object.entries(
      spec.paths as Record<string, Record<string, { tags: string[]; security: unknown; responses: Record<string, unknown> }>>,
    )
      .filter(([path]) => path.startsWith('/api/admin/'))
      .flatMap(([, methods]) => Object.values(methods));
    expect(adminOperations).toHaveLength(17);
    for (const operation of adminOperations) {
      expect(operation).toEqual(expect.objectContaining({ tags: ['admin'], security: [{ bearer: [] }] }));
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '429', '503']));
    }
    expect(Object.keys(spec.components.schemas.AdminUserDto.properties)).not.toEqual(expect.arrayContaining(['password_hash']));
  });

  it("shows each route's own error codes as examples, with the status each belongs to", async () => {
    const spec = (await t.http().get('/docs-json').expect(200)).body;
    const examples = (path: string, method: string, status: string) =>
      spec.paths[path][method].responses[status].content['application/json'].examples;
    const me401 = examples('/api/auth/me', 'get', '401');
    expect(Object.keys(me401).sort()).toEqual(['AUTH_REQUIRED', 'TOKEN_INVALID']);
    expect(me401.TOKEN_INVALID.value).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: expect.any(String),
      code: 'TOKEN_INVALID',
    });
    expect(Object.keys(examples('/api/auth/me', 'get', '503')).sort()).toEqual(['DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE']);
    expect(spec.paths['/api/auth/me'].get.responses).not.toHaveProperty('400');
    expect(Object.keys(examples('/api/auth/otp/verify', 'post', '400'))).toEqual(
      expect.arrayContaining(['OTP_INVALID', 'OTP_EXPIRED', 'OTP_LOCKED']),
    );
    expect(Object.keys(examples('/api/auth/register', 'post', '409')).sort()).toEqual(['ACCOUNT_EXISTS', 'USERNAME_TAKEN']);
    expect(Object.keys(examples('/api/auth/otp/request', 'post', '400'))).not.toContain('OTP_INVALID');
  });

  it('serves Swagger UI at /docs', async () => {
    const page = await t.http().get('/docs').expect(200);
    expect(page.text).toContain('swagger-ui');
  });

  it('answers the favicon every browser page asks for, cached, instead of a 404', async () => {
    const icon = await t.http().get('/favicon.ico').expect(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(icon.headers['cache-control']).toBe('public, max-age=86400');
    expect(String(icon.body ?? icon.text)).toContain('<svg');
  });
});
