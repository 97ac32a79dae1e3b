import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AccountsService } from '#accounts';
import { CLI_ACTOR } from '#audit';
import { UsersService, type Identifier, type User } from '#users';
import { WebhooksService } from '#webhooks';
import { newEmail, newUsername, signUp, verificationToken } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

/**
 * Sign-up and sign-in write the account, its audit row, its webhook event and its session in one
 * statement (AtomicWrite): these pin that it is all or nothing, and that a sign-in writes only for
 * the account as it still is.
 */
describe(`one-statement sign-up and sign-in (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  const count = async (table: string, where = 'TRUE', params: unknown[] = []) =>
    ((await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)) as { n: number }[])[0].n;
  const rowsWritten = async () => ({
    users: await count('users'),
    audit: await count('audit_events'),
    sessions: await count('refresh_tokens'),
    webhooks: await count('webhook_deliveries'),
  });

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_POLL_MS: '60000' });
    // An endpoint for every event, so each sign-up and sign-in has an outbox row to write (never sent here).
    await t.app.get(WebhooksService).add({ url: 'https://receiver.example.com/hooks' }, CLI_ACTOR);
  });
  afterAll(() => t?.close());

  it('writes the account, its audit row, its webhook event and its session together, each naming the account', async () => {
    const user = await signUp(t);
    expect(
      await count('audit_events', `type = 'user.signed_up' AND target_id = $1 AND actor_id = $1 AND request_id IS NOT NULL`, [user.id]),
    ).toBe(1);
    expect(await count('refresh_tokens', 'user_id = $1', [user.id])).toBe(1);
    const [delivery] = await t.app
      .get(DataSource)
      .query(`SELECT id, payload FROM webhook_deliveries WHERE payload LIKE $1`, [`%${user.id}%`]);
    expect(delivery.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(JSON.parse(delivery.payload)).toMatchObject({ type: 'user.created', data: { user_id: user.id, email: user.identifier } });
  });

  it('writes nothing at all for a sign-up refused for a taken username', async () => {
    const taken = await signUp(t);
    const identifier = newEmail();
    const token = await verificationToken(t, identifier, 'REGISTER');
    const before = await rowsWritten();
    const refused = await t
      .http()
      .post('/api/auth/register')
      .send({ identifier, username: taken.username, verification_token: token })
      .expect(409);
    expect(refused.body.code).toBe('USERNAME_TAKEN');
    expect(await rowsWritten()).toEqual(before);
  });

  /** Runs `meanwhile` right after the sign-in has read the account (once), as a concurrent operator would. */
  function afterTheRead(meanwhile: (read: User) => Promise<void>) {
    const users = t.app.get(UsersService);
    const read = users.findByIdentifier.bind(users);
    let done = false;
    return jest.spyOn(users, 'findByIdentifier').mockImplementation(async (identifier: Identifier) => {
      const found = await read(identifier);
      if (found && !done) {
        done = true;
        await meanwhile(found);
      }
      return found;
    });
  }

  it('gives no session to a sign-in whose account is blocked between its read and its write, and writes nothing for it', async () => {
    const user = await signUp(t);
    const token = await verificationToken(t, user.identifier, 'LOGIN');
    const spy = afterTheRead((read) =>
      t.app
        .get(AccountsService)
        .block({ id: read.id }, CLI_ACTOR)
        .then(() => undefined),
    );
    const before = await rowsWritten();
    try {
      const login = await t.http().post('/api/auth/login').send({ identifier: user.identifier, verification_token: token }).expect(403);
      expect(login.body.code).toBe('USER_BLOCKED');
    } finally {
      spy.mockRestore();
    }
    expect(await count('audit_events', `type = 'user.logged_in' AND target_id = $1`, [user.id])).toBe(0);
    expect(await count('refresh_tokens', 'user_id = $1 AND revoked_at IS NULL', [user.id])).toBe(0);
    expect(await count('users', 'id = $1 AND last_login_at IS NULL', [user.id])).toBe(1);
    // What the block wrote (its audit row, user.blocked and session.revoked) and the refused attempt's audit row, nothing else.
    const after = await rowsWritten();
    expect(after).toEqual({ ...before, audit: before.audit + 2, webhooks: before.webhooks + 2 });
    expect(await count('audit_events', `type = 'user.blocked_attempt' AND target_id = $1`, [user.id])).toBe(1);
  });

  it('signs in with the username as it is now when it changes between the read and the write, and publishes that one', async () => {
    const user = await signUp(t);
    const renamed = newUsername();
    const token = await verificationToken(t, user.identifier, 'LOGIN');
    const spy = afterTheRead((read) =>
      t.app
        .get(AccountsService)
        .update({ id: read.id }, { username: renamed }, CLI_ACTOR)
        .then(() => undefined),
    );
    try {
      const login = await t.http().post('/api/auth/login').send({ identifier: user.identifier, verification_token: token }).expect(200);
      expect(login.body.user.username).toBe(renamed);
    } finally {
      spy.mockRestore();
    }
    expect(await count('audit_events', `type = 'user.logged_in' AND target_id = $1`, [user.id])).toBe(1);
    const payloads = (await t.app
      .get(DataSource)
      .query(`SELECT payload FROM webhook_deliveries WHERE type = 'user.logged_in' AND payload LIKE $1`, [`%${user.id}%`])) as {
      payload: string;
    }[];
    expect(payloads.map((row) => JSON.parse(row.payload).data.username)).toEqual([renamed]);
  });
});
