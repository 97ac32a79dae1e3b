import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
 * the account as it still is. Rows are counted by what names this test's request or account: on
 * the real database other suites write at the same time.
 */
describe(`one-statement sign-up and sign-in (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  const count = async (table: string, where = 'TRUE', params: unknown[] = []) =>
    ((await t.app.get(DataSource).query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)) as { n: number }[])[0].n;
  let receiver: Server;
  let endpointId: string;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_POLL_MS: '60000' });
    // An endpoint for every event, so each sign-up and sign-in has an outbox row to write. On the real
    // database other suites' dispatchers send to it too: a receiver on loopback answers them at once.
    receiver = createServer((request, response) => request.resume().on('end', () => response.writeHead(204).end()));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    endpointId = (await t.app.get(WebhooksService).add({ url }, CLI_ACTOR)).endpoint.id;
  });
  afterAll(async () => {
    if (endpointId) await t.app.get(WebhooksService).remove(endpointId, CLI_ACTOR);
    await t?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

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
    const userAgent = `atomic-writes-${identifier}`;
    const refused = await t
      .http()
      .post('/api/auth/register')
      .set('User-Agent', userAgent)
      .send({ identifier, username: taken.username, verification_token: token })
      .expect(409);
    expect(refused.body.code).toBe('USERNAME_TAKEN');
    const requestId = refused.headers['x-request-id'];
    expect(requestId).toBeTruthy();
    expect(await count('users', 'email = $1', [identifier])).toBe(0);
    expect(await count('audit_events', 'request_id = $1', [requestId])).toBe(0);
    expect(await count('refresh_tokens', 'user_agent = $1', [userAgent])).toBe(0);
    expect(await count('webhook_deliveries', 'payload LIKE $1', [`%${identifier}%`])).toBe(0);
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
    try {
      const login = await t.http().post('/api/auth/login').send({ identifier: user.identifier, verification_token: token }).expect(403);
      expect(login.body.code).toBe('USER_BLOCKED');
    } finally {
      spy.mockRestore();
    }
    // About this account: the sign-up, the block and the refused attempt; no sign-in, no live session, no stamp.
    const events = (await t.app
      .get(DataSource)
      .query(`SELECT type FROM audit_events WHERE target_id = $1 ORDER BY created_at`, [user.id])) as { type: string }[];
    expect(events.map((event) => event.type)).toEqual(['user.signed_up', 'user.blocked', 'user.blocked_attempt']);
    expect(await count('refresh_tokens', 'user_id = $1 AND revoked_at IS NULL', [user.id])).toBe(0);
    expect(await count('users', 'id = $1 AND last_login_at IS NULL', [user.id])).toBe(1);
    expect(await count('webhook_deliveries', `type = 'user.logged_in' AND payload LIKE $1`, [`%${user.id}%`])).toBe(0);
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
    // One row per endpoint that wants the event (other suites' endpoints too, on the real database): all with the new name.
    expect([...new Set(payloads.map((row) => JSON.parse(row.payload).data.username))]).toEqual([renamed]);
  });
});
