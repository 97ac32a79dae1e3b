import { randomBytes } from 'node:crypto';
import { adminSignIn, signUpThroughHttp, startAdminFixture, type AdminFixture } from './support/admin-fixture.js';
import { runCli } from './support/cli.js';
import { backend } from './support/test-app.js';

describe(`admin panel over HTTP (${backend.database} + ${backend.redis})`, () => {
  let f: AdminFixture;
  beforeAll(async () => (f = await startAdminFixture(18541)));
  afterAll(() => f?.stop());

  // AdminJS's API answers: records with params, notices, errors.
  const json = async (res: Response | Promise<Response>) => (await (await res).json()) as Record<string, any>;
  const api = (cookie: string, path: string, init: RequestInit = {}) =>
    fetch(`${f.base}/admin/api${path}`, { ...init, headers: { cookie, ...(init.headers ?? {}) }, redirect: 'manual' });

  it('lets an active admin sign in with a session cookie that is HttpOnly, SameSite and scoped to /admin', async () => {
    const form = new FormData();
    form.set('email', f.admin.username);
    form.set('password', f.admin.password);
    const res = await fetch(`${f.base}/admin/login`, { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('set-cookie')).toMatch(/^otp_admin=.+; Path=\/admin; Expires=.+; HttpOnly; SameSite=Strict$/);
  });

  it('sends security headers on its pages, with styles and fonts kept same-origin', async () => {
    const page = await fetch(`${f.base}/admin/login`);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("font-src 'self' data:");
    expect(csp).not.toContain('https:');
  });

  it('answers a wrong password, an unknown user and a non-admin alike, with no session', async () => {
    const refusals = await Promise.all([
      adminSignIn(f.base, f.admin.username, 'not-the-password'),
      adminSignIn(f.base, 'nobody_here', 'whatever-password'),
      adminSignIn(f.base, f.member.username, f.member.password),
    ]);
    for (const refusal of refusals) {
      expect(refusal.cookie).toBeUndefined();
      expect(refusal.page).toContain('invalidCredentials');
    }
  });

  it('lists users without any password hash, and blocks one: their access token stops working', async () => {
    const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
    const list = await api(cookie!, `/resources/User/actions/list?filters.username=${f.member.username}`);
    const body = await list.text();
    expect(list.status).toBe(200);
    expect(body).toContain(f.member.identifier);
    expect(body).not.toMatch(/passwordHash|argon2/);

    await fetch(`${f.base}/api/auth/me`, { headers: { authorization: `Bearer ${f.member.access}` } }).then((r) =>
      expect(r.status).toBe(200),
    );
    const blocked = await api(cookie!, `/resources/User/records/${f.member.id}/block`, { method: 'POST' });
    expect((await json(blocked)).notice).toEqual(expect.objectContaining({ type: 'success' }));
    await fetch(`${f.base}/api/auth/me`, { headers: { authorization: `Bearer ${f.member.access}` } }).then((r) =>
      expect(r.status).toBe(401),
    );

    const audit = await json(api(cookie!, `/resources/AuditLog/actions/list?filters.type=user.blocked&filters.targetId=${f.member.id}`));
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0].params).toEqual(expect.objectContaining({ type: 'user.blocked', 'details.via': 'admin-panel' }));
    // Who did it to whom, by username (linking to their pages), not as bare ids; still no hash.
    expect(audit.records[0].populated.actorId).toEqual(expect.objectContaining({ title: f.admin.username }));
    expect(audit.records[0].populated.targetId).toEqual(expect.objectContaining({ id: f.member.id, title: f.member.username }));
    expect(JSON.stringify(audit)).not.toMatch(/passwordHash|password_hash|argon2/);
    // A user's page is titled by the username.
    expect((await json(api(cookie!, `/resources/User/records/${f.member.id}/show`))).record.title).toBe(f.member.username);
  });

  it('counts users, sign-ups, logins, lockouts and active sessions on the dashboard', async () => {
    const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
    const before = await json(api(cookie!, '/dashboard'));
    const names = ['users', 'blockedUsers', 'signUps24h', 'logins24h', 'otpLockouts24h', 'reuseDetections24h', 'activeSessions'];
    expect(Object.keys(before).sort()).toEqual([...names, 'activity'].sort());
    expect(before.activity.hours).toHaveLength(168);
    const tag = randomBytes(4).toString('hex');
    await signUpThroughHttp(f.base, `dash.${tag}@example.com`, `dash_${tag}`);
    const after = await json(api(cookie!, '/dashboard'));
    const delta = (name: string) => after[name] - before[name];
    // Exact on the embedded default (this server is alone); at least on the shared real database.
    for (const name of ['users', 'signUps24h', 'activeSessions']) {
      if (backend.database === 'pglite') expect({ name, delta: delta(name) }).toEqual({ name, delta: 1 });
      else expect(delta(name)).toBeGreaterThanOrEqual(1);
    }
    // The chart's hour under way is read afresh each time (the closed hours are what is kept).
    const thisHour = (overview: Record<string, any>) => (overview.activity.counts.signUps as number[]).at(-1)!;
    if (backend.database === 'pglite') expect(thisHour(after) - thisHour(before)).toBe(1);
    else expect(thisHour(after) - thisHour(before)).toBeGreaterThanOrEqual(1);
  });

  it('shows sessions without token hashes and refuses writes it does not offer', async () => {
    const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
    const sessions = await (await api(cookie!, '/resources/Sessions/actions/list')).text();
    expect(sessions).not.toMatch(/tokenHash|token_hash/);
    // AdminJS refuses an action it does not offer in its own way: 200 with a ForbiddenError.
    const session = (await json(api(cookie!, '/resources/Sessions/actions/list'))).records[0];
    const remove = await json(api(cookie!, `/resources/Sessions/records/${session.id}/delete`, { method: 'POST' }));
    expect(remove.record.baseError).toEqual({ message: 'forbiddenError', type: 'ForbiddenError' });
    const still = await json(api(cookie!, `/resources/Sessions/records/${session.id}/show`));
    expect(still.record.id).toBe(session.id);
  });

  it('deletes a user through the same path as the admin API: sessions end, audited, the address free again', async () => {
    const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
    const tag = randomBytes(4).toString('hex');
    const doomed = await signUpThroughHttp(f.base, `doomed.${tag}@example.com`, `doomed_${tag}`);
    const removed = await json(api(cookie!, `/resources/User/records/${doomed.id}/delete`, { method: 'POST' }));
    expect(removed.notice).toEqual({ message: 'User deleted.', type: 'success' });
    await fetch(`${f.base}/api/auth/me`, { headers: { authorization: `Bearer ${doomed.access}` } }).then((r) => expect(r.status).toBe(401));
    const audit = await json(api(cookie!, `/resources/AuditLog/actions/list?filters.type=user.deleted&filters.targetId=${doomed.id}`));
    expect(audit.records.map((r: { params: Record<string, unknown> }) => r.params['details.via'])).toEqual(['admin-panel']);
    await signUpThroughHttp(f.base, `doomed.${tag}@example.com`, `doomed_${tag}`);
  });

  it('shows the signing keys with no private part, and rotates them for an admin, audited', async () => {
    const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
    const list = async () =>
      (await json(api(cookie!, '/resources/SigningKeys/actions/list?perPage=500'))).records as { params: Record<string, string> }[];
    const before = await list();
    expect(JSON.stringify(before)).not.toMatch(/encryptedPrivateKey|private_?key|PRIVATE KEY|"publicJwk\.d"/i);
    const kidIn = (records: typeof before, state: string) => records.filter((r) => r.params.state === state).map((r) => r.params.kid);
    const [current] = kidIn(before, 'current');
    const [next] = kidIn(before, 'next');
    expect(before.find((r) => r.params.kid === current)!.params).toEqual(
      expect.objectContaining({ algorithm: 'ES256', 'publicJwk.kty': 'EC' }),
    );

    const rotated = await json(api(cookie!, '/resources/SigningKeys/actions/rotate', { method: 'POST' }));
    expect(rotated.notice).toEqual({ message: `Rotated: ${next} signs now.`, type: 'success' });
    const after = await list();
    expect(kidIn(after, 'current')).toEqual([next]);
    expect(kidIn(after, 'previous')).toContain(current);
    const audit = await runCli(['audit', '--type', 'keys.rotated', '--limit', '5'], f.env);
    const line = audit.stdout.split('\n').find((l) => l.includes(`"current":"${next}"`));
    expect(JSON.parse(line!.slice(line!.indexOf('{')))).toEqual(
      expect.objectContaining({ via: 'admin-panel', previous: current, current: next, forced: false }),
    );
  });

  it('adds a webhook endpoint through the panel (secret in the answer once, audited) and removes it', async () => {
    const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
    const form = new FormData();
    form.set('url', 'https://hooks.example.com/panel');
    form.set('events', 'user.created,session.revoked');
    const added = await json(api(cookie!, '/resources/Webhooks/actions/add', { method: 'POST', body: form }));
    expect(added).toEqual(
      expect.objectContaining({
        secret: expect.stringMatching(/^whsec_/),
        endpointId: expect.any(String),
        notice: { message: 'Endpoint added.', type: 'success' },
      }),
    );
    const shown = await (await api(cookie!, `/resources/Webhooks/records/${added.endpointId}/show`)).text();
    expect(shown).not.toContain('whsec_');
    expect(shown).not.toMatch(/encryptedSecret/);

    const bad = new FormData();
    bad.set('url', 'http://user:pw@hooks.example.com/x');
    expect((await json(api(cookie!, '/resources/Webhooks/actions/add', { method: 'POST', body: bad }))).notice).toEqual({
      message: expect.stringContaining('must not carry a user name or password'),
      type: 'error',
    });

    const removed = await json(api(cookie!, `/resources/Webhooks/records/${added.endpointId}/remove`, { method: 'POST' }));
    expect(removed.notice).toEqual({ message: 'Endpoint removed.', type: 'success' });
    const audit = await runCli(['audit', '--limit', '20'], f.env);
    expect(audit.stdout).toMatch(/webhook\.added .*"via":"admin-panel"/);
    expect(audit.stdout).toMatch(/webhook\.removed .*"via":"admin-panel"/);
  });

  it('signs out', async () => {
    const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
    await fetch(`${f.base}/admin/logout`, { headers: { cookie: cookie! }, redirect: 'manual' });
    const after = await api(cookie!, '/resources/User/actions/list');
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toContain('/admin/login');
  });

  it('answers bad input on admin routes with a 4xx, never a 500', async () => {
    const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
    expect(cookie).toBeDefined();
    for (const path of [
      '/resources/User/records/not-a-uuid/show',
      '/resources/Nope/actions/list',
      '/resources/User/records/00000000-0000-4000-8000-000000000000/block',
    ]) {
      const res = await api(cookie!, path, path.endsWith('block') ? { method: 'POST' } : {});
      expect({ path, status: res.status, serverError: res.status >= 500 }).toEqual({
        path,
        status: expect.any(Number),
        serverError: false,
      });
      expect(res.status).not.toBe(302); // answered as a signed-in admin, not bounced to the login page
    }
  });

  it('refuses an admin blocked after signing in at their next action', async () => {
    const second = { username: `adm2_${randomBytes(3).toString('hex')}`, password: 'second-admin-password' };
    expect(
      (await runCli(['create-admin', second.username, '--email', `${second.username}@example.com`, '--password', second.password], f.env))
        .code,
    ).toBe(0);
    const { cookie } = await adminSignIn(f.base, second.username, second.password);
    expect((await api(cookie!, '/resources/User/actions/list')).status).toBe(200);
    expect((await runCli(['users', 'block', second.username], f.env)).code).toBe(0);
    const after = await json(api(cookie!, '/resources/User/actions/list'));
    expect(JSON.stringify(after)).toContain('Your admin access has ended');
    expect(after.records ?? []).toHaveLength(0);
  });

  // Last: it leaves the admin account locked for 15 minutes.
  it('locks an account out after five failed sign-ins, even with the right password', async () => {
    for (let i = 0; i < 5; i++) await adminSignIn(f.base, f.admin.username, `wrong-${i}-password`);
    const locked = await adminSignIn(f.base, f.admin.username, f.admin.password);
    expect(locked.cookie).toBeUndefined();
    expect(locked.page).toContain('Too many failed sign-ins');
  });
});
