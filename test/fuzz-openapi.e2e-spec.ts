import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { ErrorCodes } from '#common';
import { adminSignIn, startAdminFixture, type AdminFixture } from './support/admin-fixture.js';
import { logIn, signUp, signUpAdmin, type SignedUpUser } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
};
type Operation = { method: string; path: string; body?: Schema; query: { name: string; schema: Schema }[]; secured: boolean };

const LEAKS =
  /\bat \S+ \(|\.ts:\d+|node_modules|QueryFailedError|TypeORMError|SELECT |INSERT INTO|UPDATE \S+ SET|syntax error at|duplicate key|ReplyError|ERR /;
const RUNS_PER_OPERATION = 300;
const FUZZ_WEBHOOK_URL = 'http://127.0.0.1:9/fuzz';

// Plausible values for the seed API's fields, so that many generated requests get past validation
// and reach the services (and the databases) behind it.
const plausible: Record<string, fc.Arbitrary<unknown>> = {
  identifier: fc.oneof(fc.emailAddress(), fc.constantFrom('+14155550123', '+447911123456', '+33612345678', '(415) 555-0123')),
  otp: fc.stringMatching(/^\d{6}$/),
  verification_token: fc.uuid(),
  username: fc.stringMatching(/^[a-z][a-z0-9_]{2,20}$/),
  refresh: fc.string({ maxLength: 200 }),
  email: fc.emailAddress(),
  phone: fc.constantFrom('+14155550123', '+447911123456', '+33612345678', '12'),
  // Endpoints the admin API registers: removed after the run, so no other suite's events go to them.
  url: fc.constantFrom(`${FUZZ_WEBHOOK_URL}/a`, `${FUZZ_WEBHOOK_URL}?q=1`, 'ftp://example.com', 'http://user:pw@example.com/', 'not a url'),
};

/** Values that fit a property's schema (mostly), so generated requests reach past validation too. */
function fitting(schema: Schema, components: Record<string, Schema>, name?: string): fc.Arbitrary<unknown> {
  if (name && plausible[name])
    return fc.oneof({ weight: 4, arbitrary: plausible[name] }, { weight: 1, arbitrary: fitting(schema, components) });
  if (schema.$ref) return fitting(components[schema.$ref.split('/').pop()!], components);
  if (schema.allOf?.length) return fitting(schema.allOf[0], components);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'email' || /identifier/i.test(schema.pattern ?? '')) return fc.emailAddress();
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: schema.maxLength ?? 40 });
    case 'integer':
      return fc.integer();
    case 'number':
      return fc.double();
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fitting(schema.items ?? {}, components), { maxLength: 3 });
    case 'object': {
      const entries = Object.entries(schema.properties ?? {});
      return fc.record(Object.fromEntries(entries.map(([name, property]) => [name, fitting(property, components, name)])), {
        requiredKeys: schema.required?.filter((name) => schema.properties?.[name]) ?? [],
      });
    }
    default:
      return fc.anything();
  }
}

/** Hostile or merely wrong values: other types, huge and odd strings, prototype keys. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.string({ unit: 'grapheme', maxLength: 64 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    '${7*7}',
    '../../etc/passwd',
    '%00',
    'null',
    '0',
    '-1',
    '1e309',
    'x'.repeat(5000),
    '+1 (555) 010-9999',
    'a@b',
    '@',
    '🙂@🙂.com',
    '\ud800@example.com',
    'x\udfff',
    '\ud83d',
  ),
  fc.constantFrom(
    null,
    true,
    -1,
    0,
    1e309,
    Number.MAX_SAFE_INTEGER,
    [],
    {},
    { __proto__: { admin: true } },
    { constructor: { prototype: { admin: true } } },
  ),
);

function bodyFor(operation: Operation, components: Record<string, Schema>): fc.Arbitrary<string | undefined> {
  const valid = operation.body ? fitting(operation.body, components) : fc.constant({});
  const mutated = valid.chain((body) => {
    const keys = body && typeof body === 'object' ? Object.keys(body) : [];
    return fc
      .record({ key: keys.length ? fc.constantFrom(...keys, '__proto__', 'extra') : fc.constant('extra'), value: hostileValue })
      .map(({ key, value }) => ({ ...(body as object), [key]: value }));
  });
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((body) => JSON.stringify(body)) },
    { weight: 4, arbitrary: mutated.map((body) => JSON.stringify(body)) },
    { weight: 1, arbitrary: hostileValue.map((value) => JSON.stringify(value) ?? 'undefined') },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }) }, // not JSON at all
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{',
        '{"identifier":',
        '[]',
        '{"a":1}{',
        '{"__proto__":{"isAdmin":true}}',
        `{"identifier":"${'9'.repeat(20000)}"}`,
        `{"identifier":"a@b.co","purpose":"LOGIN","x":${'['.repeat(3000)}${']'.repeat(3000)}}`,
        `{"identifier":${'['.repeat(3000)}1${']'.repeat(3000)},"purpose":"LOGIN"}`,
      ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const headersArbitrary = (validAccess: string, adminAccess: string | undefined) =>
  fc.record(
    {
      authorization: fc.oneof(
        fc.constant(`Bearer ${validAccess}`),
        ...(adminAccess ? [fc.constant(`Bearer ${adminAccess}`)] : []),
        fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
        fc.constantFrom(
          'Bearer',
          'Basic dXNlcjpwYXNz',
          'Bearer a.b.c',
          'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.',
          `Bearer ${validAccess}x`,
          `bearer  ${validAccess}`,
        ),
      ),
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
      ),
      accept: fc.constantFrom('application/json', 'text/html', '*/*'),
      forwardedFor: fc.option(fc.constantFrom('1.2.3.4', 'not-an-ip', '::1, 10.0.0.1', '999.999.999.999')),
    },
    { requiredKeys: ['contentType', 'accept'] },
  );

/** Any generated value as query text; fc.anything makes null-prototype objects, which String() refuses. */
const asText = (value: unknown): string => {
  let text: string;
  try {
    text = String(value);
  } catch {
    text = JSON.stringify(value) ?? '';
  }
  // A URL cannot carry a lone surrogate (encodeURIComponent throws): bodies test those.
  return text.toWellFormed();
};

/** Path parameters: ids that exist (a victim account, the admin itself), ids that do not, and junk. */
const pathArbitrary = (path: string, existing: string[]) =>
  fc
    .array(
      fc.oneof(
        fc.constantFrom(...existing),
        fc.uuid(),
        fc.constantFrom('not-a-uuid', '%2e%2e%2f', '00000000-0000-0000-0000-000000000000', 'x'.repeat(300), '%00'),
      ),
      {
        minLength: (path.match(/\{/g) ?? []).length,
        maxLength: (path.match(/\{/g) ?? []).length,
      },
    )
    .map((values) => {
      let index = 0;
      return path.replace(/\{[^}]+\}/g, () => values[index++]);
    });

function queryArbitrary(operation: Operation, components: Record<string, Schema>): fc.Arbitrary<Record<string, string>> {
  const parameter = (schema: Schema, name: string) =>
    fc.oneof(fitting(schema, components, name).map(asText), fc.string({ maxLength: 40 }), hostileValue.map(asText));
  return fc
    .record(Object.fromEntries(operation.query.map((q) => [q.name, parameter(q.schema, q.name)])), { requiredKeys: [] })
    .chain((query) =>
      fc
        .option(
          fc.dictionary(fc.constantFrom('purpose', 'identifier', '__proto__', 'a[b]', 'x'), fc.string({ maxLength: 20 }), { maxKeys: 2 }),
          { nil: {} },
        )
        .map((extra) => ({ ...extra, ...(query as Record<string, string>) })),
    );
}

function operationsOf(spec: { paths: Record<string, Record<string, any>> }): Operation[] {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method,
      path,
      body: operation.requestBody?.content?.['application/json']?.schema,
      query: (operation.parameters ?? [])
        .filter((p: { in: string }) => p.in === 'query')
        .map((p: { name: string; schema: Schema }) => ({ name: p.name, schema: p.schema ?? {} })),
      secured: Boolean(operation.security?.length),
    })),
  );
}

describe(`every endpoint of /docs-json under generated input (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  let spec: { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, Schema> } };
  let user: SignedUpUser;
  let admin: SignedUpUser;
  let existing: string[];
  beforeAll(async () => {
    t = await startTestApp({ OTP_RESEND_COOLDOWN_SECONDS: '0', OTP_HOURLY_LIMIT: '1000000' });
    spec = (await t.http().get('/docs-json').expect(200)).body;
    user = await signUp(t);
    // The admin API goes past its role check with this token, onto a victim account and the admin's own.
    admin = await signUpAdmin(t);
    existing = [(await signUp(t)).id, admin.id];
  });
  afterAll(async () => {
    await t.app.get(DataSource).query(`DELETE FROM webhook_endpoints WHERE url LIKE $1`, [`${FUZZ_WEBHOOK_URL}%`]);
    await t.close();
  });

  it('covers every documented operation', () => {
    expect(operationsOf(spec).length).toBeGreaterThanOrEqual(33);
  });

  // About 11,000 requests (every operation, 300 times) take longer than the default minute on a slow
  // shared host: a bound of its own, against a hang, not a check of speed.
  it('never answers 5xx, always answers errors in the one shape with a known code, and never leaks internals', async () => {
    const seen: Record<string, Record<string, number>> = {};
    for (const operation of operationsOf(spec)) {
      const label = `${operation.method.toUpperCase()} ${operation.path}`;
      seen[label] = {};
      // A forced rotation hundreds of times over would retire the keys that other suites' tokens are
      // signed with on a shared database; rotation has its own tests (admin-api).
      // Fresh tokens for each operation: the fuzzed logout/all of one must not leave the next with dead ones.
      const validAccess = (await logIn(t, user.identifier)).access;
      const adminAccess = operation.path === '/api/admin/signing-keys/rotate' ? undefined : (await logIn(t, admin.identifier)).access;
      await fc.assert(
        fc.asyncProperty(
          pathArbitrary(operation.path, existing),
          bodyFor(operation, spec.components.schemas),
          headersArbitrary(validAccess, adminAccess),
          queryArbitrary(operation, spec.components.schemas),
          async (path, body, headers, query) => {
            let call = (t.http() as any)[operation.method](path).query(query).set('Accept', headers.accept);
            if (headers.authorization) call = call.set('Authorization', headers.authorization);
            if (headers.forwardedFor) call = call.set('X-Forwarded-For', headers.forwardedFor);
            if (body !== undefined && operation.method !== 'get') call = call.set('Content-Type', headers.contentType).send(body);
            const res = await call;
            const outcome = res.body?.code ?? String(res.status);
            seen[label][outcome] = (seen[label][outcome] ?? 0) + 1;
            expect({ label, status: res.status < 500 ? 'below 500' : res.status, body: res.text.slice(0, 300) }).toMatchObject({
              status: 'below 500',
            });
            expect(res.text).not.toMatch(LEAKS);
            if (res.status >= 400) {
              expect(res.body).toEqual({
                statusCode: res.status,
                error: expect.any(String),
                message: expect.any(String),
                code: expect.any(String),
                ...(res.body.details ? { details: expect.any(Array) } : {}),
              });
              expect(ErrorCodes[res.body.code as keyof typeof ErrorCodes]).toBe(res.status);
            }
          },
        ),
        { numRuns: RUNS_PER_OPERATION },
      );
    }
    // The process is alive and still serves the whole flow after all of it. (The fuzzed logout/all
    // ended validAccess's sessions, as it should.)
    await t.http().get('/health').expect(200);
    await t
      .http()
      .get('/api/auth/me')
      .set('Authorization', `Bearer ${(await signUp(t)).access}`)
      .expect(200);
    // Reported, so a run shows how deep the generated requests went (codes past VALIDATION_FAILED came from the services).
    console.log(
      `fuzzed ${RUNS_PER_OPERATION} requests per operation; outcomes (error code, or status):\n${Object.entries(seen)
        .map(([label, statuses]) => `  ${label}: ${JSON.stringify(statuses)}`)
        .join('\n')}`,
    );
  }, 300_000);
});

// The admin panel's API as AdminJS serves it (outside /docs-json): list, search and show of every
// resource under generated queries, as a signed-in admin, on the built server.
describe(`the admin panel's API under generated queries (${backend.database} + ${backend.redis})`, () => {
  let f: AdminFixture;
  let cookie: string;
  beforeAll(async () => {
    f = await startAdminFixture(18592);
    cookie = (await adminSignIn(f.base, f.admin.username, f.admin.password)).cookie!;
  });
  afterAll(() => f?.stop());

  const resources = ['User', 'Sessions', 'AuditLog', 'SigningKeys', 'Webhooks', 'WebhookDeliveries'];
  const keys = fc.oneof(
    fc.constantFrom('sortBy', 'direction', 'page', 'perPage', 'searchProperty'),
    fc
      .constantFrom(
        'username',
        'passwordHash',
        'password_hash',
        'tokenHash',
        'encryptedPrivateKey',
        'encryptedSecret',
        'createdAt',
        'createdAt~~from',
        'createdAt~~to',
        'isActive',
        'role',
        'details',
        'details.via',
        'userId',
        'targetId',
        'state',
        'enabled',
        'attempts',
        '__proto__',
      )
      .map((name) => `filters.${name}`),
    fc.string({ maxLength: 12 }),
  );
  const values = fc.oneof(
    fc.constantFrom(
      'asc',
      'desc',
      'createdAt',
      'passwordHash',
      'true',
      'maybe',
      '2026-01-01',
      'not-a-date',
      '-1',
      '0',
      '1e309',
      '99999999999',
      '%',
      '_',
      "'",
      '00000000-0000-4000-8000-000000000000',
    ),
    fc.string({ maxLength: 30 }).map((text) => text.toWellFormed()),
  );
  const query = fc.dictionary(keys, values, { maxKeys: 4 });

  it('never answers 5xx, for any resource, filter, sort or page', async () => {
    const paths = fc.record({
      resource: fc.constantFrom(...resources),
      action: fc.constantFrom(
        'actions/list',
        'search/a',
        'search/',
        'records/00000000-0000-4000-8000-000000000000/show',
        'records/not-a-uuid/show',
      ),
    });
    await fc.assert(
      fc.asyncProperty(paths, query, async ({ resource, action }, params) => {
        const search = new URLSearchParams(params as Record<string, string>).toString();
        const res = await fetch(`${f.base}/admin/api/resources/${resource}/${action}?${search}`, {
          headers: { cookie },
          redirect: 'manual',
        });
        const text = await res.text();
        expect({ resource, action, params, status: res.status < 500 ? 'below 500' : res.status, body: text.slice(0, 200) }).toMatchObject({
          status: 'below 500',
        });
        expect(text).not.toMatch(LEAKS);
        expect(text).not.toMatch(/\$argon2|whsec_|"tokenHash"|"passwordHash"/);
      }),
      { numRuns: 400 },
    );
  });
});
