import type { OtpMessage } from '../delivery-channel.js';
import { PermanentDeliveryError, type Transport } from '../delivery-queue.js';
import { renderEmail, type MailLocale } from './email-templates.js';
import { MimeMessageWriter } from './mime-message.js';
import { SmtpConnections } from './smtp-connections.js';

export interface SmtpSettings {
  url: string;
  from: string;
  productName: string;
  locale: MailLocale;
  timeoutMs: number;
}

/** Email over SMTP: text and HTML parts, the message id fixed per message. */
export class SmtpTransport implements Transport {
  readonly name = 'smtp';
  private readonly connections: SmtpConnections;
  private readonly writer: MimeMessageWriter;

  constructor(private readonly settings: SmtpSettings) {
    // smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465 (TLS from the start).
    const url = new URL(settings.url);
    this.writer = new MimeMessageWriter(settings.from);
    // Kept-open connections: one SMTP handshake per connection rather than per code.
    this.connections = new SmtpConnections(
      {
        host: url.hostname,
        port: Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587),
        secure: url.protocol === 'smtps:',
        connectionTimeout: settings.timeoutMs,
        greetingTimeout: settings.timeoutMs,
        socketTimeout: settings.timeoutMs,
      },
      url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    );
  }

  close(): void {
    this.connections.close();
  }

  async deliver(message: OtpMessage, messageId: string): Promise<void> {
    const { subject, text, html } = renderEmail(message, this.settings.productName, this.settings.locale);
    // Built whole before it is sent: handed over as one string, the message goes out in one socket
    // write after the pipelined MAIL/RCPT/DATA, where the streamed parts took one write each (10
    // writes a message instead of 3, and system calls are what a small host pays for most).
    const mail = await this.writer.compose({ to: message.recipient.value, subject, text, html, messageId: `${messageId}@otp-auth` });
    try {
      await this.connections.send(mail.envelope, mail.raw);
    } catch (error) {
      // 5xx from the server (unknown mailbox, refused) will not change on retry; the rest may.
      const code = (error as { responseCode?: number }).responseCode;
      if (code && code >= 500 && code < 600) throw new PermanentDeliveryError(`SMTP ${code}: ${(error as Error).message}`);
      throw error;
    }
  }
}
