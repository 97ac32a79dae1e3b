import type { Identifier } from '#users';
import type { OtpPurpose } from '../otp-store.js';

/**
 * What a person receives after asking for a code. `code` is only present when the request can lead
 * somewhere; otherwise the message is a notice ("you already have an account" / "no account"), so
 * the owner of the address learns of the attempt and nobody else learns whether an account exists.
 */
export interface OtpMessage {
  recipient: Identifier;
  purpose: OtpPurpose;
  kind: 'code' | 'account-exists' | 'no-account';
  code?: string;
  expiresInSeconds: number;
}

/** A way of getting a message to its recipient (development log now; SMTP and SMS later). */
export abstract class DeliveryChannel {
  abstract send(message: OtpMessage): Promise<void>;
}
