import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** A message as parsed, with the SMTP envelope it came in (MAIL FROM, RCPT TO). */
export type ReceivedMail = ParsedMail & { envelope: { from: string | false; to: string[] } };
export type Behaviour = (mail: ParsedMail, attempt: number) => Promise<void> | void;

/**
 * A real SMTP server on loopback (the smtp-server package); `behaviour` may throw to refuse a message.
 * With `auth`, it requires AUTH with that user and password (the URL carries them).
 */
export async function startSmtpServer(behaviour: Behaviour = () => undefined, options: { auth?: { user: string; pass: string } } = {}) {
  const received: ReceivedMail[] = [];
  const attempts = new Map<string, number>();
  const { auth } = options;
  const server = new SMTPServer({
    authOptional: !auth,
    allowInsecureAuth: true,
    onAuth(credentials, _session, callback) {
      if (auth && credentials.username === auth.user && credentials.password === auth.pass) return callback(null, { user: auth.user });
      callback(new Error('535 Authentication failed'));
    },
    disabledCommands: ['STARTTLS'],
    logger: false,
    async onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) {
      try {
        const mail = await simpleParser(stream);
        const id = mail.messageId ?? '';
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        await behaviour(mail, attempts.get(id)!);
        const { mailFrom, rcptTo } = session.envelope;
        received.push(Object.assign(mail, { envelope: { from: mailFrom && mailFrom.address, to: rcptTo.map((r) => r.address) } }));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://${auth ? `${auth.user}:${encodeURIComponent(auth.pass)}@` : ''}127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    received,
    attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A temporary refusal (451), which the queue must retry. */
export const temporaryFailure = () => Object.assign(new Error('451 Try again later'), { responseCode: 451 });
export const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1];
