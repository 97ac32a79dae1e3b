import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { CLI_ACTOR } from '#audit';
import { WebhookDelivery, WebhooksService } from '#webhooks';
import { expectDomainError } from './support/expect-error.js';
import { logIn, signUp } from './support/factories.js';
import { eventually } from './support/tcp-proxy.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

interface Received {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on loopback; `answer` decides each response (and may hold it). */
async function startReceiver(answer: (delivery: Received, seen: number) => Promise<number> | number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', async () => {
      const delivery = { id: String(request.headers['webhook-id']), headers: request.headers, body };
      received.push(delivery);
      const status = await answer(delivery, received.filter((r) => r.id === delivery.id).length);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe(`event webhooks (${backend.database} + ${backend.redis})`, () => {
  let t: TestApp;
  let webhooks: WebhooksService;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_POLL_MS: '100',
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_TIMEOUT_MS: '20000',
      OTP_RESEND_COOLDOWN_SECONDS: '0',
    });
    webhooks = t.app.get(WebhooksService);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(() => t.close());

  /** A receiver with an endpoint registered for it; both removed after the test. */
  const endpointFor = async (receiver: Awaited<ReturnType<typeof startReceiver>>, events?: string[]) => {
    const { endpoint, secret } = await webhooks.add({ url: receiver.url, events }, CLI_ACTOR);
    cleanups.push(receiver.close, () => webhooks.remove(endpoint.id, CLI_ACTOR));
    return { endpoint, secret };
  };
  const parsed = (r: Received) => JSON.parse(r.body) as { type: string; timestamp: string; data: Record<string, unknown> };
  const deliveryRow = (id: string) => t.app.get(DataSource).getRepository(WebhookDelivery).findOneByOrFail({ id });

  it('sends each event of the seed flow once, signed per Standard Webhooks, with no secret in it', async () => {
    const receiver = await startReceiver();
    const { secret } = await endpointFor(receiver);
    const user = await signUp(t);
    const session = await logIn(t, user.identifier);
    await t.http().post('/api/auth/logout').send({ refresh: session.refresh }).expect(200);

    const mine = () => receiver.received.filter((r) => parsed(r).data.user_id === user.id);
    await eventually(async () => mine().length >= 3);
    // Every delivery row marked delivered: nothing of these is left for a later poll to send again.
    await eventually(async () => {
      const rows = await Promise.all(mine().map((r) => deliveryRow(r.id)));
      return rows.every((row) => row.status === 'delivered');
    });
    const events = mine();
    expect(events.map((r) => parsed(r).type).sort()).toEqual(['session.revoked', 'user.created', 'user.logged_in']);
    expect(new Set(events.map((r) => r.id)).size).toBe(3);
    for (const event of events) {
      // Throws unless webhook-id, webhook-timestamp and webhook-signature match the body and secret.
      expect(new Webhook(secret).verify(event.body, event.headers as Record<string, string>)).toEqual(JSON.parse(event.body));
      expect(event.id).toMatch(/^msg_[0-9a-f]{32}$/);
      for (const secretThing of [user.access, user.refresh, session.access, session.refresh]) expect(event.body).not.toContain(secretThing);
      expect(event.body).not.toMatch(/"(otp|code|token|hash|password)[a-z_]*"/i);
    }
    const created = parsed(events.find((r) => parsed(r).type === 'user.created')!);
    expect(created).toEqual({
      type: 'user.created',
      timestamp: expect.any(String),
      data: { user_id: user.id, username: user.username, email: user.identifier, phone: null },
    });
    expect(parsed(events.find((r) => parsed(r).type === 'session.revoked')!).data).toEqual({
      user_id: user.id,
      session: expect.any(String),
      reason: 'logout',
    });
  });

  it('retries a failing receiver with the same webhook-id until it answers 2xx', async () => {
    const receiver = await startReceiver((_delivery, seen) => (seen <= 2 ? 500 : 200));
    await endpointFor(receiver, ['user.created']);
    const user = await signUp(t);
    await eventually(async () =>
      receiver.received.some((r) => parsed(r).data.user_id === user.id && receiver.received.filter((x) => x.id === r.id).length === 3),
    );
    const attempts = receiver.received.filter((r) => parsed(r).data.user_id === user.id);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((r) => r.id)).size).toBe(1);
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
    await eventually(async () => (await deliveryRow(attempts[0].id)).status === 'delivered');
    expect(await deliveryRow(attempts[0].id)).toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 200 });
  });

  it('gives a delivery up as dead after WEBHOOK_MAX_ATTEMPTS, without sending it again', async () => {
    const receiver = await startReceiver(() => 503);
    await endpointFor(receiver, ['user.created']);
    const user = await signUp(t);
    const mine = () => receiver.received.filter((r) => parsed(r).data.user_id === user.id);
    await eventually(async () => mine().length === 3 && (await deliveryRow(mine()[0].id)).status === 'dead');
    // A later event delivered to the same endpoint: the poller has run again since, and sent the dead one no more.
    const later = await signUp(t);
    await eventually(async () => receiver.received.some((r) => parsed(r).data.user_id === later.id));
    expect(mine()).toHaveLength(3);
    expect(await deliveryRow(mine()[0].id)).toMatchObject({ status: 'dead', attempts: 3, lastStatus: 503, lastError: 'HTTP 503' });
  });

  it('does not make the API wait for a receiver that stalls', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const receiver = await startReceiver(async () => {
      await held;
      return 200;
    });
    cleanups.push(async () => release());
    await endpointFor(receiver, ['user.created', 'user.logged_in']);
    const user = await signUp(t);
    await eventually(async () => receiver.received.some((r) => parsed(r).data.user_id === user.id));
    // The receiver is holding that delivery unanswered; the API goes on answering meanwhile.
    const session = await logIn(t, user.identifier);
    await t.http().get('/api/auth/me').set('Authorization', `Bearer ${session.access}`).expect(200);
    expect(receiver.received.filter((r) => parsed(r).data.user_id === user.id)).toHaveLength(1);
    release();
    await eventually(async () => receiver.received.filter((r) => parsed(r).data.user_id === user.id).length === 2);
  });

  it('refuses a bad endpoint URL or an unknown event at registration, with a clear error', async () => {
    for (const url of ['not a url', 'ftp://example.com/hook', 'http://user:pass@example.com/hook', '/relative/hook']) {
      await expectDomainError(webhooks.add({ url }, CLI_ACTOR), 'WEBHOOK_URL_INVALID');
    }
    await expectDomainError(webhooks.add({ url: 'https://example.com/hook', events: ['user.nothing'] }, CLI_ACTOR), 'VALIDATION_FAILED');
    await expectDomainError(webhooks.remove('00000000-0000-4000-8000-000000000000', CLI_ACTOR), 'WEBHOOK_NOT_FOUND');
  });
});

describe('webhook endpoints from WEBHOOK_ENDPOINTS (embedded, fresh database)', () => {
  it('delivers to a configured endpoint, signed with the configured secret, and keeps the list in step with the config', async () => {
    const receiver = await startReceiver();
    const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    const configured = JSON.stringify([{ url: receiver.url, secret, events: ['user.created'] }]);
    const t = await startTestApp({ DATABASE_URL: '', REDIS_URL: '', WEBHOOK_ENDPOINTS: configured, WEBHOOK_POLL_MS: '100' });
    try {
      const [endpoint] = await t.app.get(WebhooksService).list();
      expect(endpoint).toMatchObject({ url: receiver.url, events: ['user.created'], source: 'config', enabled: true });
      const user = await signUp(t);
      await logIn(t, user.identifier); // not subscribed: not sent
      await eventually(async () => receiver.received.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual(['user.created']);
      expect(() =>
        new Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers as Record<string, string>),
      ).not.toThrow();
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it('refuses a malformed WEBHOOK_ENDPOINTS at start-up', async () => {
    await expect(
      startTestApp({ DATABASE_URL: '', REDIS_URL: '', WEBHOOK_ENDPOINTS: '[{"url":"https://example.com","secret":"not-whsec"}]' }),
    ).rejects.toThrow(/WEBHOOK_ENDPOINTS: must be a JSON array/);
  });
});
