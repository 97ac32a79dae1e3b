import { createHmac } from 'node:crypto';
import type { OtpMessage } from '../delivery-channel.js';
import { PermanentDeliveryError, type Transport } from '../delivery-queue.js';
import type { MailLocale } from '../email/email-templates.js';
import { renderSms } from './sms-text.js';

interface Common {
  productName: string;
  locale: MailLocale;
  timeoutMs: number;
}

/** A provider's answer: 2xx delivered; 429 and 5xx worth retrying; any other 4xx will not change. */
async function judge(response: Response, provider: string): Promise<void> {
  if (response.ok) return;
  const detail = (await response.text().catch(() => '')).slice(0, 200);
  const problem = `${provider} answered ${response.status}${detail ? `: ${detail}` : ''}`;
  if (response.status === 429 || response.status >= 500) throw new Error(problem);
  throw new PermanentDeliveryError(problem);
}

/** Twilio's Messages API: form-encoded POST with the account SID and auth token as basic auth. */
export class TwilioSmsTransport implements Transport {
  readonly name = 'sms:twilio';

  constructor(
    private readonly settings: Common & {
      accountSid: string;
      authToken: string;
      from?: string;
      messagingServiceSid?: string;
      apiUrl: string;
    },
  ) {}

  async deliver(message: OtpMessage): Promise<void> {
    const { accountSid, authToken, from, messagingServiceSid, apiUrl } = this.settings;
    const form = new URLSearchParams({
      To: message.recipient.value,
      Body: renderSms(message, this.settings.productName, this.settings.locale),
    });
    if (messagingServiceSid) form.set('MessagingServiceSid', messagingServiceSid);
    else form.set('From', from!);
    const response = await fetch(`${apiUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: form,
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    await judge(response, 'Twilio');
  }
}

/**
 * Any other SMS gateway: a JSON POST {message_id, to, body, kind, purpose} to SMS_WEBHOOK_URL, with
 * `X-OTP-Timestamp` (Unix seconds) and `X-OTP-Signature: sha256=<hex HMAC-SHA256 of "timestamp.body">`
 * under SMS_WEBHOOK_SECRET, so the gateway can refuse forged and replayed requests.
 */
export class WebhookSmsTransport implements Transport {
  readonly name = 'sms:webhook';

  constructor(private readonly settings: Common & { url: string; secret: string }) {}

  async deliver(message: OtpMessage, messageId: string): Promise<void> {
    const body = JSON.stringify({
      message_id: messageId,
      to: message.recipient.value,
      body: renderSms(message, this.settings.productName, this.settings.locale),
      kind: message.kind,
      purpose: message.purpose,
    });
    // The receiver checks this against its own wall clock, so it is the wall clock, not the Clock port.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', this.settings.secret).update(`${timestamp}.${body}`).digest('hex');
    const response = await fetch(this.settings.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-otp-timestamp': timestamp, 'x-otp-signature': `sha256=${signature}` },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    await judge(response, 'The SMS webhook');
  }
}

/** Email to the mail transport, phone numbers to the SMS one; a kind with no transport is refused for good. */
export class RoutingTransport implements Transport {
  readonly name: string;

  constructor(
    private readonly email: Transport | undefined,
    private readonly sms: Transport | undefined,
  ) {
    this.name = [email?.name, sms?.name].filter(Boolean).join('+');
  }

  channelFor(message: OtpMessage): string {
    return (message.recipient.kind === 'email' ? this.email?.name : this.sms?.name) ?? 'none';
  }

  deliver(message: OtpMessage, messageId: string): Promise<void> {
    const transport = message.recipient.kind === 'email' ? this.email : this.sms;
    if (!transport)
      return Promise.reject(
        new PermanentDeliveryError(
          `no ${message.recipient.kind === 'email' ? 'email (SMTP_URL)' : 'SMS (SMS_PROVIDER)'} channel is configured`,
        ),
      );
    return transport.deliver(message, messageId);
  }

  /** Nest calls this at shutdown: the SMTP pool's idle connections would keep the process alive. */
  onApplicationShutdown(): void {
    this.email?.close?.();
    this.sms?.close?.();
  }
}
