import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newPhone } from './support/factories.js';
import { eventually } from './support/tcp-proxy.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

interface Hit {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP server on loopback standing in for the provider; `status` answers each request. */
async function startProvider(status: (hit: Hit, count: number) => number = () => 201) {
  const hits: Hit[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const hit = { method: request.method!, path: request.url!, headers: request.headers, body };
      hits.push(hit);
      response.writeHead(status(hit, hits.length), { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1];

describe(`SMS delivery (${backend.database} + ${backend.redis})`, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const start = async (env: Record<string, string>) => {
    const t: TestApp = await startTestApp({
      DELIVERY_CHANNEL: 'live',
      PRODUCT_NAME: 'Acme',
      DELIVERY_RETRY_BASE_MS: '100',
      DELIVERY_MAX_ATTEMPTS: '3',
      ...env,
    });
    cleanups.push(() => t.close());
    return t;
  };

  it("sends the code through Twilio's Messages API with basic auth and the form fields it expects; the code verifies", async () => {
    const twilio = await startProvider();
    cleanups.push(twilio.close);
    const t = await start({
      SMS_PROVIDER: 'twilio',
      TWILIO_API_URL: twilio.base,
      TWILIO_ACCOUNT_SID: 'AC0123456789',
      TWILIO_AUTH_TOKEN: 'twilio-token',
      TWILIO_FROM: '+15005550006',
    });
    const phone = newPhone();
    await t.http().post('/api/auth/otp/request').send({ identifier: phone, purpose: 'REGISTER' }).expect(200);
    await eventually(async () => twilio.hits.length === 1);
    const [hit] = twilio.hits;
    expect({ method: hit.method, path: hit.path }).toEqual({ method: 'POST', path: '/2010-04-01/Accounts/AC0123456789/Messages.json' });
    expect(hit.headers.authorization).toBe(`Basic ${Buffer.from('AC0123456789:twilio-token').toString('base64')}`);
    expect(hit.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(hit.body);
    expect({ To: form.get('To'), From: form.get('From') }).toEqual({ To: phone, From: '+15005550006' });
    expect(form.get('Body')).toMatch(/^\d{6} is your Acme code\. It expires in 5 min\./);
    await t
      .http()
      .post('/api/auth/otp/verify')
      .send({ identifier: phone, otp: codeIn(form.get('Body')!), purpose: 'REGISTER' })
      .expect(200);
  });

  it('retries when Twilio answers 503 or 429, and gives up at once on a 400', async () => {
    const twilio = await startProvider((hit) => {
      const to = new URLSearchParams(hit.body).get('To')!;
      const attempts = twilio.hits.filter((h) => new URLSearchParams(h.body).get('To') === to).length;
      if (to.endsWith('0')) return 400; // a number Twilio refuses
      return attempts === 1 ? 503 : attempts === 2 ? 429 : 201;
    });
    cleanups.push(twilio.close);
    const t = await start({
      SMS_PROVIDER: 'twilio',
      TWILIO_API_URL: twilio.base,
      TWILIO_ACCOUNT_SID: 'AC1',
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_MESSAGING_SERVICE_SID: 'MG1',
    });
    const retried = newPhone().replace(/\d$/, '7');
    const refused = newPhone().replace(/\d$/, '0');
    await t.http().post('/api/auth/otp/request').send({ identifier: retried, purpose: 'REGISTER' }).expect(200);
    await t.http().post('/api/auth/otp/request').send({ identifier: refused, purpose: 'REGISTER' }).expect(200);
    await eventually(async () => (await t.http().get('/health/ready')).body.delivery?.delivered === 1);
    const sentTo = (to: string) => twilio.hits.filter((h) => new URLSearchParams(h.body).get('To') === to);
    expect(sentTo(retried).map((h) => new URLSearchParams(h.body).get('Body'))).toEqual(
      Array(3).fill(new URLSearchParams(sentTo(retried)[0].body).get('Body')),
    );
    expect(new URLSearchParams(sentTo(retried)[0].body).get('MessagingServiceSid')).toBe('MG1');
    expect(sentTo(refused)).toHaveLength(1);
    expect((await t.http().get('/health/ready')).body.delivery).toEqual({
      status: 'ok',
      queued: 0,
      delivered: 1,
      deadLettered: 1,
      deadLetteredLast15m: 1,
    });
  });

  it('posts to a generic SMS webhook, signed so the gateway can check it', async () => {
    const gateway = await startProvider(() => 202);
    cleanups.push(gateway.close);
    const secret = 'sms-webhook-secret-sms-webhook-secret-0123';
    const t = await start({
      SMS_PROVIDER: 'webhook',
      SMS_WEBHOOK_URL: `${gateway.base}/sms`,
      SMS_WEBHOOK_SECRET: secret,
      MAIL_LOCALE: 'de',
    });
    const phone = newPhone();
    await t.http().post('/api/auth/otp/request').send({ identifier: phone, purpose: 'LOGIN' }).expect(200);
    await eventually(async () => gateway.hits.length === 1);
    const [hit] = gateway.hits;
    const timestamp = String(hit.headers['x-otp-timestamp']);
    const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${hit.body}`).digest('hex')}`;
    expect(timingSafeEqual(Buffer.from(String(hit.headers['x-otp-signature'])), Buffer.from(expected))).toBe(true);
    expect(JSON.parse(hit.body)).toEqual({
      message_id: expect.stringMatching(/^otp_[0-9a-f]{32}$/),
      to: phone,
      body: 'Acme: Für diese Nummer gibt es kein Konto. Registrieren Sie sich zuerst.',
      kind: 'no-account',
      purpose: 'LOGIN',
    });
  });
});
