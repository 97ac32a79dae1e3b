import { ManualClock } from '#common';
import { expectError } from './support/expect-error.js';
import { signUp } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

// Time moved, not waited for: the service's Clock is the test's, so a lifetime of minutes or days
// ends in one step, on either backend (token lifetimes are the service's, not Redis's).
describe(`token lifetimes follow the service's clock (${backend.database} + ${backend.redis})`, () => {
  const clock = new ManualClock(Date.now());
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ ACCESS_TOKEN_TTL_SECONDS: '300', REFRESH_TOKEN_TTL_SECONDS: '3600' }, { clock })));
  afterAll(() => t.close());

  const me = (access: string) => t.http().get('/api/auth/me').set('authorization', `Bearer ${access}`);
  const refresh = (token: string) => t.http().post('/api/auth/token/refresh').send({ refresh: token });

  it('refuses an access token once its lifetime is over, and a refresh gives one that works at that time', async () => {
    const user = await signUp(t);
    await me(user.access).expect(200);
    clock.advance(299_000);
    await me(user.access).expect(200);
    clock.advance(2_000);
    expectError(await me(user.access), 'TOKEN_INVALID');

    const renewed = await refresh(user.refresh).expect(200);
    await me(renewed.body.access).expect(200);
  });

  it('refuses a refresh token once its lifetime is over', async () => {
    const user = await signUp(t);
    clock.advance(3_601_000);
    expectError(await refresh(user.refresh), 'TOKEN_INVALID');
  });
});
