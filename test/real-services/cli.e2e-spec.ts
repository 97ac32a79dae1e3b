import { DataSource } from 'typeorm';
import { AuditEvent } from '#audit';
import { User } from '#users';
import { runCli } from '../support/cli.js';
import { expectError } from '../support/expect-error.js';
import { logIn, newEmail, newUsername, signUp } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// The CLI against the same Postgres and Redis as a running API (here, the in-process test app).
describe('management CLI on real Postgres and Redis', () => {
  let t: TestApp;
  const env = () => ({
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    JWT_SECRET: t.config.jwt.secret,
    OTP_SECRET: t.config.otp.secret,
  });
  const cli = (args: string[], input?: string) => runCli(args, env(), input);
  beforeAll(async () => (t = await startTestApp({ OTP_RESEND_COOLDOWN_SECONDS: '0' })));
  afterAll(() => t.close());

  it('turns a user from the seed flow into an admin with a password, stored as argon2id', async () => {
    const user = await signUp(t);
    const res = await cli(['set-password', user.username, '--password', 'correct-horse-battery', '--admin']);
    expect(res).toEqual(expect.objectContaining({ code: 0, stdout: expect.stringContaining('role: admin') }));
    const stored = await t.app
      .get(DataSource)
      .getRepository(User)
      .findOne({ where: { id: user.id }, select: ['id', 'role', 'passwordHash'] });
    expect(stored).toEqual(expect.objectContaining({ role: 'admin', passwordHash: expect.stringMatching(/^\$argon2id\$/) }));
    const audit = await t.app.get(DataSource).getRepository(AuditEvent).findOneBy({ targetId: user.id, type: 'admin.password_set' });
    expect(audit?.details).toEqual({ via: 'cli', grantAdmin: true });
  });

  it('mints a token for admins only (unless --any-user) that /me accepts', async () => {
    const user = await signUp(t);
    const refused = await cli(['admin-token', user.username]);
    expect(refused).toEqual(expect.objectContaining({ code: 1, stderr: expect.stringContaining('FORBIDDEN') }));
    const minted = await cli(['admin-token', user.username, '--any-user', '--ttl', '5m']);
    expect(minted.code).toBe(0);
    const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${minted.stdout.trim()}`).expect(200);
    expect(me.body.id).toBe(user.id);
  });

  it('peeks the development code the API just sent', async () => {
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    const peek = await cli(['otp', 'peek', 'REGISTER', identifier.toUpperCase()]);
    expect(peek).toEqual(expect.objectContaining({ code: 0, stdout: `${await t.lastCode('REGISTER', identifier)}\n` }));
  });

  it('blocks (ending every session), unblocks, and revokes all sessions', async () => {
    const user = await signUp(t);
    // Read once first, so the user row is in the cache (user:{id}) when another process blocks them.
    await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`).expect(200);
    expect((await cli(['users', 'block', user.username])).code).toBe(0);
    expectError(await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`), 'TOKEN_INVALID');
    expectError(await t.http().post('/api/auth/token/refresh').send({ refresh: user.refresh }), 'TOKEN_INVALID');
    expect((await cli(['users', 'list', '--search', user.username])).stdout).toMatch(new RegExp(`${user.username}.*BLOCKED`));
    expect((await cli(['users', 'unblock', user.username])).code).toBe(0);
    const session = await logIn(t, user.identifier);
    expect((await cli(['sessions', 'revoke-all', user.username])).code).toBe(0);
    expectError(await t.http().get('/api/auth/me').set('Authorization', `Bearer ${session.access}`), 'TOKEN_INVALID');
    const types = (await t.app.get(DataSource).getRepository(AuditEvent).findBy({ targetId: user.id })).map((e) => e.type).sort();
    expect(types).toEqual(['sessions.revoked', 'user.blocked', 'user.logged_in', 'user.signed_up', 'user.unblocked']);
  });

  it('deletes a user only with --yes, through the same path as the admin API', async () => {
    const user = await signUp(t);
    const unconfirmed = await cli(['users', 'delete', user.username]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('--yes');
    await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`).expect(200);
    expect((await cli(['users', 'delete', user.username, '--yes'])).code).toBe(0);
    expectError(await t.http().get('/api/auth/me').set('Authorization', `Bearer ${user.access}`), 'TOKEN_INVALID');
    const deleted = await t.app.get(DataSource).getRepository(AuditEvent).findBy({ targetId: user.id, type: 'user.deleted' });
    expect(deleted.map((event) => event.details)).toEqual([{ via: 'cli' }]);
    expect((await cli(['users', 'delete', user.username, '--yes'])).stderr).toContain('USER_NOT_FOUND');
  });

  it('creates an admin once and refuses weak passwords and unknown users', async () => {
    const name = newUsername();
    expect((await cli(['create-admin', name, '--email', newEmail(), '--password', 'a-fine-long-password'])).stdout).toContain(
      `Created admin ${name}`,
    );
    expect((await cli(['create-admin', name, '--email', newEmail()])).stdout).toContain('already exists');
    expect((await cli(['set-password', name, '--password', 'short'])).stderr).toContain('PASSWORD_TOO_WEAK');
    expect((await cli(['users', 'unblock', 'no_such_user'])).stderr).toContain('USER_NOT_FOUND');
  });

  it('refuses to run in production with the development channel', async () => {
    const res = await runCli(['otp', 'peek', 'LOGIN', 'a@example.com'], { ...env(), NODE_ENV: 'production' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('DELIVERY_CHANNEL');
  });
});
