import { simpleParser, type ParsedMail } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { OtpMessage } from '../delivery-channel.js';
import { MAIL_LOCALES, renderEmail } from './email-templates.js';
import { MimeMessageWriter, type MailContent } from './mime-message.js';

/** What a mail client reads of a message. */
function reading(mail: ParsedMail) {
  const address = (field: ParsedMail['to']) => (Array.isArray(field) ? field : [field]).flatMap((f) => f?.value ?? []);
  return {
    from: address(mail.from),
    to: address(mail.to),
    subject: mail.subject,
    messageId: mail.messageId,
    text: mail.text,
    html: mail.html,
    type: mail.headers.get('content-type'),
  };
}

async function byMailComposer(from: string, mail: MailContent) {
  const mime = new MailComposer({ from, ...mail, messageId: `<${mail.messageId}>` }).compile();
  return { envelope: mime.getEnvelope(), raw: await mime.build() };
}

describe('MimeMessageWriter', () => {
  const kinds: OtpMessage['kind'][] = ['code', 'account-exists', 'no-account', 'identifier-changed'];
  const senders = ['OTP authentication <no-reply@localhost>', '"Acme, Inc." <no-reply@acme.example>', 'Jörg Müller GmbH <otp@example.de>'];

  it.each(senders)('writes what MailComposer writes, as a mail client reads it, from %s', async (from) => {
    const writer = new MimeMessageWriter(from);
    for (const locale of MAIL_LOCALES) {
      for (const kind of kinds) {
        const message: OtpMessage = {
          kind,
          purpose: kind === 'no-account' ? 'LOGIN' : 'REGISTER',
          recipient: { kind: 'email', value: 'jane.doe+otp@example.com' },
          code: kind === 'code' ? '042917' : undefined,
          expiresInSeconds: 300,
        };
        const mail = {
          to: message.recipient.value,
          ...renderEmail(message, 'Acme Ünïcode & <Co>', locale),
          messageId: 'otp_0123@otp-auth',
        };
        const ours = await writer.compose(mail);
        const theirs = await byMailComposer(from, mail);
        expect(ours.envelope).toEqual(theirs.envelope);
        expect(reading(await simpleParser(ours.raw))).toEqual({
          ...reading(await simpleParser(theirs.raw)),
          type: expect.objectContaining({ value: 'multipart/alternative' }),
        });
        // Lines a mail server accepts: CRLF only, none over 78 characters.
        expect(ours.raw).not.toMatch(/[^\r]\n|\r[^\n]/);
        for (const line of ours.raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
      }
    }
  });

  it('keeps the code whole and readable in both parts', async () => {
    const message: OtpMessage = {
      kind: 'code',
      purpose: 'LOGIN',
      recipient: { kind: 'email', value: 'a@b.example' },
      code: '987654',
      expiresInSeconds: 600,
    };
    const mail = await new MimeMessageWriter('x@y.example').compose({
      to: 'a@b.example',
      ...renderEmail(message, 'Acme', 'en'),
      messageId: 'm@otp-auth',
    });
    const parsed = await simpleParser(mail.raw);
    expect(parsed.text).toContain('\n    987654\n');
    expect(parsed.html).toContain('>987654</p>');
  });

  it('cannot be made to carry a header of its own through the subject', async () => {
    const mail = await new MimeMessageWriter('x@y.example').compose({
      to: 'a@b.example',
      subject: 'Hello\r\nBcc: victim@example.com',
      text: 'hi',
      html: '<p>hi</p>',
      messageId: 'm@otp-auth',
    });
    const parsed = await simpleParser(mail.raw);
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(mail.raw).not.toMatch(/^Bcc:/im);
  });

  it('leaves an internationalised recipient to MailComposer, which writes its domain as the mail system needs', async () => {
    const mail = await new MimeMessageWriter('x@y.example').compose({
      to: 'jane@bücher.example',
      subject: 'Hi',
      text: 'hi',
      html: '<p>hi</p>',
      messageId: 'm@otp-auth',
    });
    expect(mail.envelope.to).toEqual(['jane@xn--bcher-kva.example']);
    expect((await simpleParser(mail.raw)).text).toBe('hi');
  });
});
