import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DashboardService } from '../libs/admin/src/dashboard.service.js';
import { Clock } from '#common';
import { KeyValueStore } from '#redis';
import { DeliveryHistory, DeliveryStatsSource } from '#delivery';
import { UsersService } from '#users';
import { newEmail, newPhone, newUsername } from './support/factories.js';
import { codeIn, startSmtpServer, temporaryFailure, type Behaviour } from './support/smtp-server.js';
import { eventually } from './support/tcp-proxy.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

describe(`email delivery over SMTP (${backend.database} + ${backend.redis})`, () => {
  const apps: TestApp[] = [];
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    for (const server of servers.splice(0)) await server.close();
  });

  async function setUp(behaviour?: Behaviour, env: Record<string, string> = {}) {
    const smtp = await startSmtpServer(behaviour);
    servers.push(smtp);
    const t = await startTestApp({
      DELIVERY_CHANNEL: 'live',
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Acme Sign-in <no-reply@acme.test>',
      PRODUCT_NAME: 'Acme',
      DELIVERY_RETRY_BASE_MS: '100',
      DELIVERY_MAX_ATTEMPTS: '3',
      ...env,
    });
    apps.push(t);
    return { smtp, t };
  }

  it('mails the code in both parts, from the configured sender, and the code verifies', async () => {
    const { smtp, t } = await setUp();
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    await eventually(async () => smtp.received.length === 1);
    const [mail] = smtp.received;
    expect(mail.to).toMatchObject({ text: identifier });
    expect(mail.from).toMatchObject({ text: '"Acme Sign-in" <no-reply@acme.test>' });
    expect(mail.subject).toBe('Your Acme sign-up code');
    // The message is composed before it is handed to the pool: still a whole one, to the right envelope.
    expect(mail.envelope).toEqual({ from: 'no-reply@acme.test', to: [identifier] });
    expect(mail.headers.get('mime-version')).toBe('1.0');
    expect(mail.date).toBeInstanceOf(Date);
    expect(mail.messageId).toMatch(/^<otp_[0-9a-f]{32}@otp-auth>$/);
    const code = codeIn(mail.text ?? '');
    expect(code).toMatch(/^\d{6}$/);
    expect(mail.html).toContain(`>${code}</p>`);
    expect(mail.text).toContain('The code expires in 5 minutes.');
    const verified = await t.http().post('/api/auth/otp/verify').send({ identifier, otp: code, purpose: 'REGISTER' }).expect(200);
    await t
      .http()
      .post('/api/auth/register')
      .send({ identifier, username: newUsername(), verification_token: verified.body.verification_token })
      .expect(201);
  });

  it('mails a notice without a code when the request cannot lead anywhere, in the configured language', async () => {
    const { smtp, t } = await setUp(undefined, { MAIL_LOCALE: 'de' });
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'LOGIN' }).expect(200);
    await eventually(async () => smtp.received.length === 1);
    expect(smtp.received[0].subject).toBe('Kein Konto bei Acme für diese Adresse');
    expect(codeIn(smtp.received[0].text ?? '')).toBeUndefined();
  });

  it('has no /api/dev/otp route outside the development channel: 404 whatever the query', async () => {
    const { t } = await setUp();
    for (const query of ['', '?identifier=a@b.co&purpose=LOGIN', '?purpose=nope']) {
      const res = await t.http().get(`/api/dev/otp${query}`);
      expect({ query, status: res.status, code: res.body.code }).toEqual({ query, status: 404, code: 'NOT_FOUND' });
    }
    expect(Object.keys((await t.http().get('/docs-json').expect(200)).body.paths)).not.toContain('/api/dev/otp');
  });

  it('puts nothing derivable from the code in the Message-ID: an offline search of every code finds nothing', async () => {
    const { smtp, t } = await setUp();
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    await t.http().post('/api/auth/otp/request').send({ identifier: newEmail(), purpose: 'LOGIN' }).expect(200);
    await eventually(async () => smtp.received.length === 2);
    const mail = smtp.received.find((m) => m.to && 'text' in m.to && m.to.text === identifier)!;
    const code = codeIn(mail.text ?? '')!;
    const id = /^<otp_([0-9a-f]{32})@otp-auth>$/.exec(mail.messageId ?? '')?.[1];
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    // The attack on an id made from the message: hash each of the 10^6 codes with what the relay saw.
    const unkeyed = (candidate: string) =>
      createHash('sha256').update(['code', 'REGISTER', identifier, candidate].join('\n')).digest('hex').slice(0, 32);
    expect(unkeyed(code)).not.toBe(id);
    for (let n = 0; n < 1_000_000; n++) {
      if (unkeyed(String(n).padStart(6, '0')) === id) throw new Error(`the Message-ID gives the code ${n} away`);
    }
    expect(mail.messageId).not.toContain(code);
    // Two messages never share an id, so an id says nothing of what it carries.
    expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(2);
  });

  it('retries a temporary refusal with the same message and code, and delivers it once', async () => {
    const { smtp, t } = await setUp((_mail, attempt) => {
      if (attempt <= 2) throw temporaryFailure();
    });
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    await eventually(async () => smtp.received.length === 1);
    const [mail] = smtp.received;
    expect(smtp.attempts.get(mail.messageId!)).toBe(3); // two refusals, then accepted: one message id throughout
    // Once the queue counts it delivered and holds nothing, no further attempt can come.
    await eventually(async () => (await t.http().get('/health/ready')).body.delivery?.delivered === 1);
    expect((await t.http().get('/health/ready')).body.delivery).toMatchObject({ queued: 0, delivered: 1 });
    expect(smtp.received).toHaveLength(1);
    await t
      .http()
      .post('/api/auth/otp/verify')
      .send({ identifier, otp: codeIn(mail.text ?? ''), purpose: 'REGISTER' })
      .expect(200);
  });

  it('dead-letters a message the server keeps refusing, after the configured attempts, without sending another code', async () => {
    const { smtp, t } = await setUp(() => {
      throw temporaryFailure();
    });
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    // Dead-lettered: the queue holds nothing more to try.
    await eventually(async () => (await t.http().get('/health/ready')).body.delivery?.deadLettered === 1);
    expect([...smtp.attempts.values()]).toEqual([3]); // one message, three attempts, then no more
    expect(smtp.received).toHaveLength(0);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.delivery).toEqual({ status: 'ok', queued: 0, delivered: 0, deadLettered: 1, deadLetteredLast15m: 1 });
  });

  it('reports the queue degraded (still ready) once dead letters pass the threshold, and shows them to operators', async () => {
    const { smtp, t } = await setUp(() => Promise.reject(temporaryFailure()), {
      DELIVERY_MAX_ATTEMPTS: '1',
      DELIVERY_DEGRADED_FAILURES: '2',
    });
    const [first, second] = [newEmail(), newEmail()];
    await t.http().post('/api/auth/otp/request').send({ identifier: first, purpose: 'REGISTER' }).expect(200);
    await eventually(async () => (await t.http().get('/health/ready')).body.delivery?.deadLettered === 1);
    expect((await t.http().get('/health/ready').expect(200)).body).toMatchObject({ status: 'ok', delivery: { status: 'ok' } });

    await t.http().post('/api/auth/otp/request').send({ identifier: second, purpose: 'LOGIN' }).expect(200);
    await eventually(async () => (await t.http().get('/health/ready')).body.delivery?.deadLettered === 2);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'degraded',
      checks: { database: 'up' },
      delivery: { status: 'degraded', deadLetteredLast15m: 2, queued: 0 },
    });

    // The admin dashboard's numbers come from the same queue: newest dead letter first, masked, no code.
    const overview = await new DashboardService(
      t.app.get(DataSource),
      t.app.get(UsersService),
      t.app.get(DeliveryStatsSource),
      t.app.get(Clock),
      t.app.get(KeyValueStore),
      t.app.get(DeliveryHistory),
    ).overview();
    expect(overview.delivery?.stats).toMatchObject({ status: 'degraded', deadLettered: 2 });
    // And its chart counts them in the hour under way (at least: other apps of the run count there too).
    expect(overview.activity.counts.email_dead_lettered.at(-1)).toBeGreaterThanOrEqual(2);
    expect(overview.delivery?.deadLetters).toEqual([
      expect.objectContaining({
        purpose: 'LOGIN',
        to: `${second[0]}***${second.slice(second.indexOf('@'))}`,
        attempts: 1,
        reason: expect.stringContaining('451'),
      }),
      expect.objectContaining({ purpose: 'REGISTER', to: `${first[0]}***${first.slice(first.indexOf('@'))}`, attempts: 1 }),
    ]);
    expect(JSON.stringify(overview)).not.toContain(first);
    // Whether a message held a code or a notice would tell the operator who has an account.
    expect(JSON.stringify(overview)).not.toMatch(/no-account|"kind"/);
    expect(smtp.received).toHaveLength(0);
  });

  it('answers otp/request before a stalling mail server has taken the message', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { smtp, t } = await setUp(() => held);
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    // The answer is in; the server is holding the message it is being sent, and has not accepted it.
    await eventually(async () => smtp.attempts.size === 1);
    expect(smtp.received).toHaveLength(0);
    release();
    await eventually(async () => smtp.received.length === 1);
  });

  it('dead-letters a phone number at once when no SMS provider is configured', async () => {
    const { smtp, t } = await setUp();
    await t.http().post('/api/auth/otp/request').send({ identifier: newPhone(), purpose: 'REGISTER' }).expect(200);
    await eventually(async () => (await t.http().get('/health/ready')).body.delivery?.deadLettered === 1);
    expect(smtp.received).toHaveLength(0);
  });
});
