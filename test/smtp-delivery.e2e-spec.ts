import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { newEmail, newPhone, newUsername } from './support/factories.js';
import { eventually } from './support/tcp-proxy.js';
import { backend, startTestApp, type TestApp } from './support/test-app.js';

type Behaviour = (mail: ParsedMail, attempt: number) => Promise<void> | void;

/** A real SMTP server on loopback (the smtp-server package); `behaviour` may throw to refuse a message. */
async function startSmtpServer(behaviour: Behaviour = () => undefined) {
  const received: ParsedMail[] = [];
  const attempts = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    async onData(stream: SMTPServerDataStream, _session: SMTPServerSession, callback: (error?: Error | null) => void) {
      try {
        const mail = await simpleParser(stream);
        const id = mail.messageId ?? '';
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        await behaviour(mail, attempts.get(id)!);
        received.push(mail);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    received,
    attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A temporary refusal (451), which the queue must retry. */
const temporaryFailure = () => Object.assign(new Error('451 Try again later'), { responseCode: 451 });
const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1];

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
    const code = codeIn(mail.text ?? '');
    expect(code).toMatch(/^\d{6}$/);
    expect(mail.html).toContain(`>${code}</p>`);
    expect(mail.text).toContain('The code expires in 5 minutes.');
    const verified = await t.http().post('/api/auth/otp/verify').send({ identifier, otp: code, purpose: 'REGISTER' }).expect(200);
    await t.http().post('/api/auth/register').send({ identifier, username: newUsername(), verification_token: verified.body.verification_token }).expect(201);
  });

  it('mails a notice without a code when the request cannot lead anywhere, in the configured language', async () => {
    const { smtp, t } = await setUp(undefined, { MAIL_LOCALE: 'de' });
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'LOGIN' }).expect(200);
    await eventually(async () => smtp.received.length === 1);
    expect(smtp.received[0].subject).toBe('Kein Konto bei Acme für diese Adresse');
    expect(codeIn(smtp.received[0].text ?? '')).toBeUndefined();
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
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.received).toHaveLength(1);
    await t.http().post('/api/auth/otp/verify').send({ identifier, otp: codeIn(mail.text ?? ''), purpose: 'REGISTER' }).expect(200);
  });

  it('dead-letters a message the server keeps refusing, after the configured attempts, without sending another code', async () => {
    const { smtp, t } = await setUp(() => {
      throw temporaryFailure();
    });
    const identifier = newEmail();
    await t.http().post('/api/auth/otp/request').send({ identifier, purpose: 'REGISTER' }).expect(200);
    await eventually(async () => [...smtp.attempts.values()].reduce((a, b) => a + b, 0) === 3);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect([...smtp.attempts.values()]).toEqual([3]); // one message, three attempts, then no more
    expect(smtp.received).toHaveLength(0);
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.delivery).toEqual({ queued: 0, delivered: 0, deadLettered: 1 });
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
