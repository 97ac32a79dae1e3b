import type { Response, Test } from 'supertest';
import { DataSource } from 'typeorm';
import { WebhookDelivery } from '#webhooks';
import { expectError } from './support/expect-error.js';
import { logIn, newEmail, newPhone, newUsername, signUp, signUpAdmin, verificationToken, type SignedUpUser } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

// What no answer of the admin API may ever hold (a webhook's secret only in the answer that creates it).
const SECRET_FIELD = /password|hash|private|encrypted|"secret"|"d":|token_hash/i;

describe(`admin REST API (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  let admin: SignedUpUser;
  beforeAll(async () => {
    t = await startTestApp({ OTP_RESEND_COOLDOWN_SECONDS: '0' });
    admin = await signUpAdmin(t);
  });
  afterAll(() => t.close());

  const as = (token: string) => ({
    get: (path: string) => t.http().get(path).set('Authorization', `Bearer ${token}`),
    post: (path: string, body?: object) => t.http().post(path).set('Authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) => t.http().patch(path).set('Authorization', `Bearer ${token}`).send(body),
    delete: (path: string) => t.http().delete(path).set('Authorization', `Bearer ${token}`),
  });
  const api = () => as(admin.access);
  const auditOf = async (type: string, target: string) =>
    (await api().get(`/api/admin/audit-events?type=${type}&target=${target}`).expect(200)).body.items;

  it('refuses every admin route without a token (401) and with a user’s token (403), in the one error shape', async () => {
    const user = await signUp(t);
    const document = (await t.http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, { tags?: string[] }>> };
    const routes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/admin/'))
      .flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => ({ method, path: path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000') })),
      );
    expect(routes.length).toBeGreaterThanOrEqual(16);
    const call = (method: string, path: string) => (t.http() as unknown as Record<string, (url: string) => Test>)[method](path);
    for (const { method, path } of routes) {
      expectError(await call(method, path), 'AUTH_REQUIRED');
      expectError(await call(method, path).set('Authorization', `Bearer ${user.access}`), 'FORBIDDEN');
    }
  });

  it('lists users newest first, filtered, a page at a time, with no row skipped or repeated', async () => {
    const tag = newUsername().slice(2, 8);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await signUp(t, newEmail(), `p_${tag}_${i}`)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Response = await api()
        .get(`/api/admin/users?search=p_${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((user: { id: string }) => user.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    expect((await api().get(`/api/admin/users?search=p_${tag}&role=admin`).expect(200)).body).toEqual({ items: [], next_cursor: null });
    await api().post(`/api/admin/users/${made[1]}/block`).expect(200);
    const blocked = await api().get(`/api/admin/users?search=p_${tag}&active=false`).expect(200);
    expect(blocked.body.items.map((user: { id: string }) => user.id)).toEqual([made[1]]);
    // A search term is data, not a pattern.
    expect(
      (
        await api()
          .get(`/api/admin/users?search=${encodeURIComponent('%')}_${tag}`)
          .expect(200)
      ).body.items,
    ).toEqual([]);
    expect(JSON.stringify(blocked.body)).not.toMatch(SECRET_FIELD);
  });

  it('refuses a cursor it did not give out, and limits outside 1–100, with 400', async () => {
    for (const query of ['cursor=bm90LWEtY3Vyc29y', 'cursor=%27%3B--', 'limit=0', 'limit=101', 'limit=ten', 'active=maybe', 'role=root']) {
      expectError(await api().get(`/api/admin/users?${query}`), 'VALIDATION_FAILED');
    }
    expectError(await api().get('/api/admin/users/not-a-uuid'), 'VALIDATION_FAILED');
    expectError(await api().get('/api/admin/users/00000000-0000-4000-8000-000000000000'), 'USER_NOT_FOUND');
  });

  it('creates a user who can then sign in with a code; a taken username or identifier is 409', async () => {
    const email = newEmail();
    const phone = newPhone();
    const username = newUsername();
    const created = await api().post('/api/admin/users', { username: username.toUpperCase(), email, phone }).expect(201);
    expect(created.body).toEqual(expect.objectContaining({ username, email, phone, role: 'user', is_active: true, last_login_at: null }));
    expect(JSON.stringify(created.body)).not.toMatch(SECRET_FIELD);
    await logIn(t, email);
    await logIn(t, phone);
    expectError(await api().post('/api/admin/users', { username, email: newEmail() }), 'USERNAME_TAKEN');
    expectError(await api().post('/api/admin/users', { username: newUsername(), email: email.toUpperCase() }), 'ACCOUNT_EXISTS');
    expectError(await api().post('/api/admin/users', { username: newUsername() }), 'VALIDATION_FAILED');
    expectError(await api().post('/api/admin/users', { username: newUsername(), email: '+14155550123' }), 'IDENTIFIER_INVALID');
    expectError(await api().post('/api/admin/users', { username: 'no spaces', email: newEmail() }), 'VALIDATION_FAILED');
    const [event] = await auditOf('user.created', created.body.id);
    expect(event).toEqual(expect.objectContaining({ actor_id: admin.id, details: { via: 'api', role: 'user' } }));
  });

  it('edits username and role through the same rules as sign-up; a demoted admin is refused at once', async () => {
    const other = await signUpAdmin(t);
    const taken = await signUp(t);
    expectError(await api().patch(`/api/admin/users/${other.id}`, { username: taken.username.toUpperCase() }), 'USERNAME_TAKEN');
    const renamed = newUsername();
    expect((await api().patch(`/api/admin/users/${other.id}`, { username: renamed }).expect(200)).body.username).toBe(renamed);
    await as(other.access).get('/api/admin/users').expect(200);
    await api().patch(`/api/admin/users/${other.id}`, { role: 'user' }).expect(200);
    expectError(await as(other.access).get('/api/admin/users'), 'TOKEN_INVALID');
    // Signing in again gives a token of the role they have now.
    const again = await logIn(t, other.identifier);
    expectError(await as(again.access).get('/api/admin/users'), 'FORBIDDEN');
    // Nobody locks themselves out.
    expectError(await api().patch(`/api/admin/users/${admin.id}`, { role: 'user' }), 'FORBIDDEN');
    expectError(await api().post(`/api/admin/users/${admin.id}/block`), 'FORBIDDEN');
    expectError(await api().delete(`/api/admin/users/${admin.id}`), 'FORBIDDEN');
    expectError(await api().patch(`/api/admin/users/${other.id}`, { role: 'root' }), 'VALIDATION_FAILED');
    const events = (await api().get(`/api/admin/audit-events?target=${other.id}&actor=${admin.id}&type=user.updated`).expect(200)).body
      .items;
    expect(events.map((event: { details: { changed: string } }) => event.details.changed)).toEqual(['role', 'username']);
  });

  it('blocks (every session and access token dies) and unblocks', async () => {
    const user = await signUp(t);
    const phone = await logIn(t, user.identifier);
    const blocked = await api().post(`/api/admin/users/${user.id}/block`).expect(200);
    expect(blocked.body.is_active).toBe(false);
    expectError(await as(user.access).get('/api/auth/me'), 'TOKEN_INVALID');
    expectError(await t.http().post('/api/auth/token/refresh').send({ refresh: phone.refresh }), 'TOKEN_INVALID');
    const token = await verificationToken(t, user.identifier, 'LOGIN');
    expectError(await t.http().post('/api/auth/login').send({ identifier: user.identifier, verification_token: token }), 'USER_BLOCKED');
    await api().post(`/api/admin/users/${user.id}/unblock`).expect(200);
    await logIn(t, user.identifier);
    expect((await auditOf('user.blocked', user.id))[0]).toEqual(
      expect.objectContaining({ actor_id: admin.id, details: { via: 'api', changed: 'isActive' } }),
    );
  });

  it('lists a user’s sessions and ends one or all of them; an ended session stops refreshing', async () => {
    const user = await signUp(t);
    const laptop = await logIn(t, user.identifier);
    const sessions = (await api().get(`/api/admin/users/${user.id}/sessions`).expect(200)).body.items;
    expect(sessions).toHaveLength(2);
    expect(sessions[0]).toEqual({
      id: expect.any(String),
      user_id: user.id,
      created_at: expect.any(String),
      last_used_at: expect.any(String),
      expires_at: expect.any(String),
      user_agent: null,
      ip: expect.any(String),
    });
    const laptopSession = sessions[0].id;
    await api().delete(`/api/admin/sessions/${laptopSession}`).expect(204);
    expectError(await t.http().post('/api/auth/token/refresh').send({ refresh: laptop.refresh }), 'TOKEN_INVALID');
    const rotated = await t.http().post('/api/auth/token/refresh').send({ refresh: user.refresh }).expect(200);
    expectError(await api().delete(`/api/admin/sessions/${laptopSession}`), 'NOT_FOUND');
    expectError(await api().delete('/api/admin/sessions/00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
    await api().delete(`/api/admin/users/${user.id}/sessions`).expect(204);
    expectError(await t.http().post('/api/auth/token/refresh').send({ refresh: rotated.body.refresh }), 'TOKEN_INVALID');
    expectError(await as(rotated.body.access).get('/api/auth/me'), 'TOKEN_INVALID');
    expect((await api().get(`/api/admin/users/${user.id}/sessions`).expect(200)).body.items).toEqual([]);
  });

  it('deletes a user: sessions end, the audit keeps the id, a webhook says so, and the address can register again', async () => {
    const hook = await api()
      .post('/api/admin/webhooks', { url: 'http://127.0.0.1:9/never', events: ['user.deleted'] })
      .expect(201);
    try {
      const user = await signUp(t);
      await api().delete(`/api/admin/users/${user.id}`).expect(204);
      expectError(await api().get(`/api/admin/users/${user.id}`), 'USER_NOT_FOUND');
      expectError(await api().delete(`/api/admin/users/${user.id}`), 'USER_NOT_FOUND');
      expectError(await as(user.access).get('/api/auth/me'), 'TOKEN_INVALID');
      expectError(await t.http().post('/api/auth/token/refresh').send({ refresh: user.refresh }), 'TOKEN_INVALID');
      expect(await auditOf('user.deleted', user.id)).toEqual([
        expect.objectContaining({ actor_id: admin.id, target_id: user.id, details: { via: 'api' } }),
      ]);
      const deliveries = await t.app.get(DataSource).getRepository(WebhookDelivery).findBy({ endpointId: hook.body.id });
      expect(deliveries.map((delivery) => [delivery.type, JSON.parse(delivery.payload).data])).toEqual([
        ['user.deleted', { user_id: user.id, username: user.username, via: 'api' }],
      ]);
      const again = await signUp(t, user.identifier, user.username);
      expect(again.id).not.toBe(user.id);
    } finally {
      await api().delete(`/api/admin/webhooks/${hook.body.id}`).expect(204);
    }
  });

  it('searches the audit log by type, actor, target and time, a page at a time', async () => {
    const user = await signUp(t);
    const since = new Date(Date.now() - 60_000).toISOString();
    await api().post(`/api/admin/users/${user.id}/block`).expect(200);
    await api().post(`/api/admin/users/${user.id}/unblock`).expect(200);
    const all = (await api().get(`/api/admin/audit-events?target=${user.id}&since=${since}`).expect(200)).body.items.map(
      (e: { type: string }) => e.type,
    );
    expect(all).toEqual(['user.unblocked', 'user.blocked', 'user.signed_up']);
    const first = await api().get(`/api/admin/audit-events?target=${user.id}&limit=1`).expect(200);
    const second = await api().get(`/api/admin/audit-events?target=${user.id}&limit=1&cursor=${first.body.next_cursor}`).expect(200);
    expect([first.body.items[0].type, second.body.items[0].type]).toEqual(['user.unblocked', 'user.blocked']);
    const byAdmin = (await api().get(`/api/admin/audit-events?actor=${admin.id}&target=${user.id}`).expect(200)).body.items;
    expect(byAdmin).toHaveLength(2);
    expect((await api().get(`/api/admin/audit-events?target=${user.id}&until=${since}`).expect(200)).body.items).toEqual([]);
    for (const query of ['type=user.nothing', 'actor=nobody', 'since=yesterday', 'limit=1000'])
      expectError(await api().get(`/api/admin/audit-events?${query}`), 'VALIDATION_FAILED');
  });

  it('lists and rotates signing keys with the CLI’s wait rule, and never shows a private part', async () => {
    const keys = await api().get('/api/admin/signing-keys').expect(200);
    expect(keys.body.items.map((key: { state: string }) => key.state).sort()).toEqual(expect.arrayContaining(['current', 'next']));
    expect(JSON.stringify(keys.body)).not.toMatch(SECRET_FIELD);
    const current = keys.body.items.find((key: { state: string }) => key.state === 'current').kid;
    const next = keys.body.items.find((key: { state: string }) => key.state === 'next').kid;
    const rotated = await api().post('/api/admin/signing-keys/rotate?force=true').expect(200);
    expect(rotated.body).toEqual({ previous: current, current: next, next: expect.any(String) });
    // The new next key is moments old: a verifier may not have fetched it yet.
    expectError(await api().post('/api/admin/signing-keys/rotate'), 'KEY_NOT_READY');
    // Tokens signed before the rotation still work; new ones are signed by the new current key.
    await api().get('/api/auth/me').expect(200);
    const [event] = (await api().get('/api/admin/audit-events?type=keys.rotated&limit=1').expect(200)).body.items;
    expect(event).toEqual(expect.objectContaining({ actor_id: admin.id, details: expect.objectContaining({ via: 'api', forced: true }) }));
  });

  it('adds a webhook endpoint (its secret shown once), lists it without the secret, shows its deliveries and removes it', async () => {
    const created = await api()
      .post('/api/admin/webhooks', { url: 'http://127.0.0.1:9/hooks', events: ['user.blocked'], description: 'test' })
      .expect(201);
    expect(created.body).toEqual(
      expect.objectContaining({
        url: 'http://127.0.0.1:9/hooks',
        events: ['user.blocked'],
        enabled: true,
        source: 'operator',
        secret: expect.stringMatching(/^whsec_/),
      }),
    );
    const listed = (await api().get('/api/admin/webhooks').expect(200)).body.items.find(
      (endpoint: { id: string }) => endpoint.id === created.body.id,
    );
    expect(listed).toEqual(expect.objectContaining({ id: created.body.id, url: 'http://127.0.0.1:9/hooks' }));
    expect(JSON.stringify(listed)).not.toMatch(SECRET_FIELD);
    const user = await signUp(t);
    await api().post(`/api/admin/users/${user.id}/block`).expect(200);
    const deliveries = (await api().get(`/api/admin/webhooks/${created.body.id}/deliveries`).expect(200)).body.items;
    expect(deliveries).toEqual([
      expect.objectContaining({ id: expect.stringMatching(/^msg_/), type: 'user.blocked', status: expect.any(String) }),
    ]);
    expect(JSON.stringify(deliveries)).not.toContain(user.username); // the payload stays with the receiver
    await api().delete(`/api/admin/webhooks/${created.body.id}`).expect(204);
    expectError(await api().delete(`/api/admin/webhooks/${created.body.id}`), 'WEBHOOK_NOT_FOUND');
    expectError(await api().get(`/api/admin/webhooks/${created.body.id}/deliveries`), 'WEBHOOK_NOT_FOUND');
    expectError(await api().post('/api/admin/webhooks', { url: 'ftp://example.com' }), 'WEBHOOK_URL_INVALID');
    expectError(await api().post('/api/admin/webhooks', { url: 'https://example.com', events: ['user.nothing'] }), 'VALIDATION_FAILED');
  });
});
