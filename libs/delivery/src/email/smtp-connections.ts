import SMTPConnection, { type SMTPConnectionAuth, type SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection/index.js';

export interface SmtpEnvelope {
  from: string;
  to: string[];
}

/** A connection closes after this many messages, so that no one connection lives for ever. */
const MESSAGES_PER_CONNECTION = 1000;

interface Kept {
  connection: SMTPConnection;
  messages: number;
  closed: boolean;
}

/**
 * Kept-open SMTP connections (nodemailer's SMTPConnection: STARTTLS, AUTH, pipelining, timeouts),
 * one message at a time on each, as many as messages are sent at once (the worker's
 * DELIVERY_CONCURRENCY bounds that). Each message is handed over whole, as one string: nodemailer's
 * own pool wants a compiled mail object, and building that (MailComposer again, MIME nodes, a stream
 * pipeline per message) was a fifth of the delivery worker's CPU. An idle connection closes when
 * the server or the socket timeout ends it.
 */
export class SmtpConnections {
  private readonly idle: Kept[] = [];

  constructor(
    private readonly options: SMTPConnectionOptions,
    private readonly auth: SMTPConnectionAuth | undefined,
  ) {}

  async send(envelope: SmtpEnvelope, raw: string): Promise<void> {
    const reused = this.idle.pop();
    try {
      await this.sendOn(reused ?? (await this.open()), envelope, raw);
    } catch (error) {
      // A kept-open connection the server has dropped fails without an SMTP reply: once more, on a new one.
      if (!reused || (error as { responseCode?: number }).responseCode) throw error;
      await this.sendOn(await this.open(), envelope, raw);
    }
  }

  close(): void {
    for (const kept of this.idle.splice(0)) kept.connection.quit();
  }

  private sendOn(kept: Kept, envelope: SmtpEnvelope, raw: string): Promise<void> {
    return new Promise((resolve, reject) => {
      kept.connection.send(envelope, raw, (error) => {
        kept.messages += 1;
        if (error || kept.closed || kept.messages >= MESSAGES_PER_CONNECTION) kept.connection.close();
        else this.idle.push(kept);
        if (error) reject(error);
        else resolve();
      });
    });
  }

  private open(): Promise<Kept> {
    const connection = new SMTPConnection(this.options);
    const kept: Kept = { connection, messages: 0, closed: false };
    return new Promise((resolve, reject) => {
      let settled = false;
      const ready = (error?: Error | null) => {
        if (settled) return;
        settled = true;
        if (!error) return resolve(kept);
        connection.close();
        reject(error);
      };
      // Once closed (by the server, a timeout, or here) it is never handed out again.
      connection.once('end', () => {
        kept.closed = true;
        const at = this.idle.indexOf(kept);
        if (at >= 0) this.idle.splice(at, 1);
        ready(new Error('SMTP connection closed before it was ready'));
      });
      // Errors while connecting fail the connection; later ones reach the send under way (its
      // callback), or, while idle, are followed by 'end'.
      connection.on('error', ready);
      connection.connect((error?: Error | null) => {
        if (error) return ready(error);
        if (this.auth && connection.allowsAuth) connection.login(this.auth, (loginError) => ready(loginError));
        else ready();
      });
    });
  }
}
