import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { adminSignIn, startAdminFixture, type AdminFixture } from './support/admin-fixture.js';
import { runCli } from './support/cli.js';
import { backend } from './support/test-app.js';

// An outside attacker and a rogue admin against the panel, on the built server: bodies before
// sign-in, forged cross-site requests, concurrent guesses, and the list API as an oracle.
describe(`admin panel under attack (${backend.database} + ${backend.redis})`, () => {
  let f: AdminFixture;
  // formidable writes uploads to the OS temp folder: this server's is its own, to be checked.
  const uploads = mkdtempSync(join(tmpdir(), 'otp-admin-uploads-'));
  beforeAll(async () => (f = await startAdminFixture(18591, { TMPDIR: uploads, TRUST_PROXY: 'loopback' })));
  afterAll(async () => {
    await f?.stop();
    rmSync(uploads, { recursive: true, force: true });
  });

  // Each test signs in from an address of its own (the server trusts its loopback proxy), so one
  // test's counted attempts never lock another out: consecutive addresses in 10/8 from a random
  // start, never the same twice in a run (a random pick per test collided now and then), and not
  // those of an earlier run whose counters Redis still holds.
  let nextAddress = randomBytes(3).readUIntBE(0, 3);
  const addressOf = () => {
    const n = nextAddress++ % 0x1000000;
    return `10.${n >> 16}.${(n >> 8) & 0xff}.${n & 0xff}`;
  };
  const signIn = (login: string, password: string, from = addressOf()) => {
    const body = new URLSearchParams({ email: login, password });
    return fetch(`${f.base}/admin/login`, {
      method: 'POST',
      headers: { 'x-forwarded-for': from, 'content-type': 'application/x-www-form-urlencoded' },
      body,
      redirect: 'manual',
    });
  };
  const api = (cookie: string, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${f.base}/admin/api${path}`, { ...init, headers: { cookie, ...init.headers }, redirect: 'manual' });
  const meStatus = async (token: string) =>
    (await fetch(`${f.base}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  const newAdmin = async () => {
    const admin = { username: `adm_${randomBytes(4).toString('hex')}`, password: `admin-password-${randomBytes(4).toString('hex')}` };
    const created = await runCli(
      ['create-admin', admin.username, '--email', `${admin.username}@example.com`, '--password', admin.password],
      f.env,
    );
    expect(created.code).toBe(0);
    return admin;
  };

  /** A raw request, so the test controls Content-Length and Transfer-Encoding itself. */
  const rawPost = (path: string, headers: Record<string, string | number>, chunks: Buffer[]) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const url = new URL(path, f.base);
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text || '{}') as Record<string, unknown> }));
      });
      // The server may answer and close before the whole body is sent: that is the point.
      req.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
      );
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });

  describe('bodies before sign-in', () => {
    it('answers 413 with the error shape to a body over BODY_LIMIT, before reading it', async () => {
      // 150 MB declared, 1 MB sent: the answer comes from the declared length alone.
      const answer = await rawPost('/admin/login', { 'content-type': 'application/json', 'content-length': 150 * 1024 * 1024 }, [
        Buffer.alloc(1024 * 1024, 0x20),
      ]);
      expect(answer).toEqual({ status: 413, body: expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }) });
      const api = await rawPost(
        '/admin/api/resources/User/actions/new',
        { 'content-type': 'application/json', 'content-length': 64 * 1024 },
        [Buffer.alloc(64 * 1024, 0x20)],
      );
      expect(api).toEqual({ status: 413, body: expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }) });
    });

    it('answers 411 to a body of undeclared length (chunked) instead of reading it without end', async () => {
      const answer = await rawPost('/admin/login', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, [
        Buffer.from('{"email":'),
        Buffer.alloc(32 * 1024, 0x20),
      ]);
      expect(answer).toEqual({ status: 411, body: expect.objectContaining({ code: 'LENGTH_REQUIRED' }) });
    });

    it('refuses a file upload with 415 and writes nothing to the temp folder', async () => {
      const form = new FormData();
      form.set('email', 'someone');
      form.set('password', 'whatever-password');
      form.set('avatar', new Blob([randomBytes(4096)]), 'avatar.png');
      const res = await fetch(`${f.base}/admin/login`, { method: 'POST', body: form, redirect: 'manual' });
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual(expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE' }));
      expect(readdirSync(uploads)).toEqual([]);
      // The panel's own form posts still work.
      expect((await signIn(f.admin.username, f.admin.password)).status).toBe(302);
    });
  });

  describe('cross-site requests', () => {
    const blockMember = (cookie: string, headers: Record<string, string>, method = 'POST') =>
      api(cookie, `/resources/User/records/${f.member.id}/block`, { method, headers });

    it('refuses every forged admin action, GET or POST, from another site or another origin', async () => {
      const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
      const forgeries: Record<string, string>[] = [
        { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }, // a link or a top-level navigation
        { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' }, // a page on another port of this host
        { 'sec-fetch-site': 'none' }, // typed or pasted into the address bar: not the panel's own call
        { origin: 'https://attacker.example' }, // an older browser's form post
      ];
      for (const headers of forgeries) {
        for (const method of ['GET', 'POST']) {
          const res = await blockMember(cookie!, headers, method);
          expect({ headers, method, status: res.status }).toEqual({ headers, method, status: 403 });
          expect(await res.json()).toEqual(expect.objectContaining({ code: 'CROSS_SITE_REQUEST' }));
        }
      }
      // Built-in actions and the sign-in form too.
      const builtIns = [
        api(cookie!, `/resources/User/records/${f.member.id}/edit`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } }),
        api(cookie!, `/resources/User/records/${f.member.id}/delete`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } }),
        api(cookie!, `/resources/User/bulk/bulkDelete?recordIds=${f.member.id}`, {
          method: 'POST',
          headers: { 'sec-fetch-site': 'cross-site' },
        }),
        api(cookie!, '/resources/SigningKeys/actions/rotate', { headers: { 'sec-fetch-site': 'cross-site' } }),
        fetch(`${f.base}/admin/login`, {
          method: 'POST',
          headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
          body: 'email=a&password=b',
        }),
      ];
      for (const res of await Promise.all(builtIns)) expect(res.status).toBe(403);
      expect(await meStatus(f.member.access)).toBe(200); // still active: nothing was done

      // The panel's own calls go through.
      const sameOrigin = await blockMember(cookie!, { 'sec-fetch-site': 'same-origin', origin: f.base }, 'GET');
      expect(((await sameOrigin.json()) as { notice?: { type: string } }).notice?.type).toBe('success');
      expect(await meStatus(f.member.access)).toBe(401);
      await api(cookie!, `/resources/User/records/${f.member.id}/unblock`, { headers: { 'sec-fetch-site': 'same-origin' } });
    });

    it('sets the session cookie SameSite=Strict, so a navigation from another site arrives signed out', async () => {
      const res = await signIn(f.admin.username, f.admin.password);
      expect(res.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict$/);
    });
  });

  describe('sign-in guesses', () => {
    it('checks at most the per-account limit of passwords from a concurrent burst, the right one included', async () => {
      const target = await newAdmin();
      const from = addressOf();
      const burst = [
        ...Array.from({ length: 39 }, (_, i) => signIn(target.username, `wrong-password-${i}`, from)),
        signIn(target.username, target.password, from),
      ];
      const answers = await Promise.all(burst.map(async (res) => ({ status: (await res).status, page: await (await res).text() })));
      const checked = answers.filter((a) => a.status === 302 || a.page.includes('invalidCredentials'));
      expect(checked.length).toBeLessThanOrEqual(5);
      expect(answers.filter((a) => a.page.includes('Too many failed sign-ins')).length).toBeGreaterThanOrEqual(35);
    });

    it('keeps a login of any length out of the counter keys', async () => {
      const huge = `${'a'.repeat(12_000)}@example.com`;
      const res = await signIn(huge, 'whatever-password');
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('invalidCredentials');
      if (backend.redis === 'redis') {
        const redis = createClient({ url: process.env.REDIS_URL });
        await redis.connect();
        const keys = await redis.keys('admin:failed:*');
        await redis.quit();
        expect(keys.length).toBeGreaterThan(0);
        expect(Math.max(...keys.map((key) => key.length))).toBeLessThan(100);
      }
    });
  });

  describe('sessions that outlive a credential change', () => {
    it('ends an admin’s panel sessions when their password is set again, they are demoted, or blocked', async () => {
      const other = await newAdmin();
      const listUsers = async (cookie: string) => JSON.stringify(await (await api(cookie, '/resources/User/actions/list')).json());
      const signedIn = async (password = other.password) => (await adminSignIn(f.base, other.username, password)).cookie!;

      let cookie = await signedIn();
      expect(await listUsers(cookie)).toContain(other.username);
      const newPassword = `${other.password}-new`;
      expect((await runCli(['set-password', other.username, '--password', newPassword], f.env)).code).toBe(0);
      expect(await listUsers(cookie)).toContain('Your admin access has ended');

      cookie = await signedIn(newPassword);
      const user = (
        (await (await api(cookie, `/resources/User/actions/list?filters.username=${other.username}`)).json()) as {
          records: { id: string }[];
        }
      ).records[0];
      const operator = (await adminSignIn(f.base, f.admin.username, f.admin.password)).cookie!;
      const edit = (role: string) => {
        const form = new FormData();
        form.set('role', role);
        return api(operator, `/resources/User/records/${user.id}/edit`, { method: 'POST', body: form });
      };
      expect((await edit('user')).status).toBe(200);
      expect((await edit('admin')).status).toBe(200);
      // Made an admin again, the session opened before the demotion still does not come back.
      expect(await listUsers(cookie)).toContain('Your admin access has ended');

      cookie = await signedIn(newPassword);
      expect((await runCli(['users', 'block', other.username], f.env)).code).toBe(0);
      expect((await runCli(['users', 'unblock', other.username], f.env)).code).toBe(0);
      expect(await listUsers(cookie)).toContain('Your admin access has ended');
    });
  });

  describe('the list API as an oracle', () => {
    it('ignores filters and sort keys on hidden columns: a guessed hash prefix changes nothing', async () => {
      const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
      const total = async (query: string) =>
        ((await (await api(cookie!, `/resources/User/actions/list?${query}`)).json()) as { meta: { total: number } }).meta.total;
      const all = await total('');
      for (const guess of ['$argon2id$', 'x-no-hash-starts-like-this']) {
        expect(await total(`filters.passwordHash=${encodeURIComponent(guess)}`)).toBe(all);
      }
      expect(await total('searchProperty=passwordHash')).toBe(all);
      const sessions = async (query: string) =>
        ((await (await api(cookie!, `/resources/Sessions/actions/list?${query}`)).json()) as { meta: { total: number } }).meta.total;
      expect(await sessions('filters.tokenHash=a')).toBe(await sessions('filters.tokenHash=b'));
      const keys = async (query: string) =>
        ((await (await api(cookie!, `/resources/SigningKeys/actions/list?${query}`)).json()) as { meta: { total: number } }).meta.total;
      expect(await keys('filters.encryptedPrivateKey=v1.')).toBe(await keys(''));
    });

    it('answers malformed sorts and filters with the list as offered, never a 500', async () => {
      const { cookie } = await adminSignIn(f.base, f.admin.username, f.admin.password);
      for (const path of [
        '/resources/User/actions/list?sortBy=password_hash',
        '/resources/User/actions/list?sortBy=passwordHash&direction=sideways',
        '/resources/User/actions/list?filters.createdAt~~from=not-a-date',
        '/resources/User/actions/list?filters.createdAt=2026-01-01',
        '/resources/User/actions/list?filters.isActive=maybe',
        '/resources/User/actions/list?perPage=100000000',
        '/resources/AuditLog/actions/list?filters.details=x',
        '/resources/AuditLog/actions/list?filters.details.via=cli',
        '/resources/User/search/x?searchProperty=passwordHash',
      ]) {
        const res = await api(cookie!, path);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
      }
    });
  });
});
