import { randomBytes } from 'node:crypto';
import type session from 'express-session';
import { RedisConnection } from '#redis';
import { adminSessionStore } from '../libs/admin/src/session-store.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

// A request of the admin's that was under way when they signed out ends afterwards, saving or
// touching the copy of the session it loaded (rolling sessions touch on every request). Neither
// may bring the signed-out session back.
describe(`admin sessions (${backend.redis})`, () => {
  let t: TestApp;
  let store: session.Store;
  beforeAll(async () => {
    t = await startTestApp();
    store = await adminSessionStore(t.app.get(RedisConnection, { strict: false }) ?? null, 60);
  });
  afterAll(() => t.close());

  const call = <T>(method: (callback: (error?: unknown, value?: T) => void) => void) =>
    new Promise<T | undefined>((resolve, reject) => method((error, value) => (error ? reject(error) : resolve(value))));
  const get = (id: string) => call<session.SessionData | null>((done) => store.get(id, done));
  const set = (id: string, data: session.SessionData) => call((done) => store.set(id, data, done));
  const touch = (id: string, data: session.SessionData) => call((done) => store.touch!(id, data, done));
  const destroy = (id: string) => call((done) => store.destroy(id, done));
  const signedIn = (): session.SessionData =>
    ({
      cookie: { originalMaxAge: 60_000, path: '/admin', httpOnly: true },
      adminUser: { email: 'admin' },
    }) as unknown as session.SessionData;

  it('keeps a signed-in session, and a touch keeps it', async () => {
    const id = randomBytes(16).toString('hex');
    await set(id, signedIn());
    await touch(id, signedIn());
    expect(await get(id)).toEqual(expect.objectContaining({ adminUser: { email: 'admin' } }));
  });

  it('stays signed out when a request that loaded the session before sign-out touches it afterwards', async () => {
    const id = randomBytes(16).toString('hex');
    await set(id, signedIn());
    const loaded = await get(id);
    await destroy(id);
    await touch(id, loaded!);
    expect(await get(id)).toBeNull();
  });

  it('stays signed out when such a request saves its changed copy afterwards', async () => {
    const id = randomBytes(16).toString('hex');
    await set(id, signedIn());
    const loaded = await get(id);
    await destroy(id);
    await set(id, { ...loaded!, flash: 'changed' } as session.SessionData);
    expect(await get(id)).toBeNull();
  });

  it('does not store a session by touching one it never had', async () => {
    const id = randomBytes(16).toString('hex');
    await touch(id, signedIn());
    expect(await get(id)).toBeNull();
  });
});
