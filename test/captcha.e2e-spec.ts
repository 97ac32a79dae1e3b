import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectError } from './support/expect-error.js';
import { newEmail } from './support/factories.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

/**
 * A real HTTP peer on loopback playing the provider's siteverify endpoint. What it answers depends
 * on the token: `good` passes (solved on app.example.com), `elsewhere` passes but was solved on
 * another site, `stall` never answers, `broken` gets a 500, `garbage` a body that is not JSON;
 * anything else is refused, as the providers refuse an unknown, expired or reused token.
 */
async function startProvider() {
  const received: URLSearchParams[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      received.push(form);
      const token = form.get('response');
      if (token === 'stall') return; // never answers: the service's timeout must end it
      if (token === 'broken') return void response.writeHead(500).end('oops');
      if (token === 'garbage') return void response.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
      const answer =
        token === 'good' || token === 'elsewhere'
          ? { success: true, hostname: token === 'good' ? 'app.example.com' : 'evil.example.net', challenge_ts: new Date().toISOString() }
          : { success: false, 'error-codes': ['invalid-input-response'] };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/siteverify`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe(`CAPTCHA on code requests (${backend.database} + ${backend.redis})`, () => {
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let t: TestApp;
  const captchaEnv = () => ({
    CAPTCHA_PROVIDER: 'turnstile',
    CAPTCHA_SECRET_KEY: 'test-captcha-secret',
    CAPTCHA_VERIFY_URL: provider.url,
    CAPTCHA_EXPECTED_HOSTNAME: 'app.example.com',
    CAPTCHA_TIMEOUT_MS: '300',
  });
  beforeAll(async () => {
    provider = await startProvider();
    t = await startTestApp(captchaEnv());
  });
  afterAll(async () => {
    await t.close();
    await provider.close();
  });

  const request = (app: TestApp, body: object) => app.http().post('/api/auth/otp/request').send(body);
  /** Whether a code (or notice) was stored and sent for this identifier: a second request then meets the resend cooldown. */
  const nothingStoredFor = async (identifier: string) => {
    await request(t, { identifier, purpose: 'REGISTER', captcha_token: 'good' }).expect(200);
    await expect(t.lastCode('REGISTER', identifier)).resolves.toMatch(/^\d{6}$/);
  };

  it('sends the code once the provider says the token was solved, having sent it the secret, the token and the client address', async () => {
    const identifier = newEmail();
    const before = provider.received.length;
    await request(t, { identifier, purpose: 'REGISTER', captcha_token: 'good' }).expect(200);
    await expect(t.lastCode('REGISTER', identifier)).resolves.toMatch(/^\d{6}$/);
    const sent = provider.received[before];
    expect(Object.fromEntries(sent)).toEqual({ secret: 'test-captcha-secret', response: 'good', remoteip: '127.0.0.1' });
  });

  it('refuses a request without a token (400 CAPTCHA_REQUIRED) before anything is stored, and asks the provider nothing', async () => {
    const identifier = newEmail();
    const before = provider.received.length;
    expectError(await request(t, { identifier, purpose: 'REGISTER' }), 'CAPTCHA_REQUIRED');
    expectError(await request(t, { identifier, purpose: 'LOGIN', captcha_token: '' }), 'CAPTCHA_REQUIRED');
    expect(provider.received.length).toBe(before);
    await nothingStoredFor(identifier);
  });

  it('refuses a token the provider refuses, or one solved on another site (400 CAPTCHA_INVALID), with nothing stored', async () => {
    const identifier = newEmail();
    expectError(await request(t, { identifier, purpose: 'REGISTER', captcha_token: 'forged' }), 'CAPTCHA_INVALID');
    expectError(await request(t, { identifier, purpose: 'REGISTER', captcha_token: 'elsewhere' }), 'CAPTCHA_INVALID');
    await nothingStoredFor(identifier);
  });

  it('asks the provider about every token, the same one twice included: a solved CAPTCHA is single use, nothing is cached', async () => {
    const before = provider.received.length;
    await request(t, { identifier: newEmail(), purpose: 'REGISTER', captcha_token: 'good' }).expect(200);
    await request(t, { identifier: newEmail(), purpose: 'REGISTER', captcha_token: 'good' }).expect(200);
    expect(provider.received.length).toBe(before + 2);
  });

  it('answers 503 CAPTCHA_UNAVAILABLE when the provider stalls, fails or answers nonsense', async () => {
    for (const token of ['stall', 'broken', 'garbage']) {
      const identifier = newEmail();
      // A stalled provider is cut off by CAPTCHA_TIMEOUT_MS: without it this request would hang the test.
      const res = await request(t, { identifier, purpose: 'REGISTER', captcha_token: token });
      expectError(res, 'CAPTCHA_UNAVAILABLE');
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      await nothingStoredFor(identifier);
    }
  });

  it('lets a request through with a warning when the provider is down and CAPTCHA_FAIL_OPEN is set', async () => {
    const open = await startTestApp({ ...captchaEnv(), CAPTCHA_FAIL_OPEN: 'true' });
    try {
      const identifier = newEmail();
      await request(open, { identifier, purpose: 'REGISTER', captcha_token: 'stall' }).expect(200);
      await expect(open.lastCode('REGISTER', identifier)).resolves.toMatch(/^\d{6}$/);
      // Fail-open is about an absent provider, not an absent or refused token.
      expectError(await request(open, { identifier: newEmail(), purpose: 'REGISTER' }), 'CAPTCHA_REQUIRED');
      expectError(await request(open, { identifier: newEmail(), purpose: 'REGISTER', captcha_token: 'forged' }), 'CAPTCHA_INVALID');
    } finally {
      await open.close();
    }
  });

  it('asks only for the purposes in CAPTCHA_PURPOSES, and not at all when CAPTCHA_PROVIDER is unset (the seed flow)', async () => {
    const registerOnly = await startTestApp({ ...captchaEnv(), CAPTCHA_PURPOSES: 'REGISTER' });
    const off = await startTestApp({ CAPTCHA_PROVIDER: '' });
    try {
      await request(registerOnly, { identifier: newEmail(), purpose: 'LOGIN' }).expect(200);
      expectError(await request(registerOnly, { identifier: newEmail(), purpose: 'REGISTER' }), 'CAPTCHA_REQUIRED');
      const before = provider.received.length;
      await request(off, { identifier: newEmail(), purpose: 'REGISTER' }).expect(200);
      await request(off, { identifier: newEmail(), purpose: 'REGISTER', captcha_token: 'anything' }).expect(200);
      expect(provider.received.length).toBe(before);
    } finally {
      await registerOnly.close();
      await off.close();
    }
  });
});
