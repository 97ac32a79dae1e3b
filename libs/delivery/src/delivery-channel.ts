import type { Identifier } from '#users';
import type { OtpPurpose } from './otp-purpose.js';

/**
 * What a person receives after asking for a code. `code` is only present when the request can lead
 * somewhere; otherwise the message is a notice ("you already have an account" / "no account"), so
 * the owner of the address learns of the attempt and nobody else learns whether an account exists.
 */
export interface OtpMessage {
  recipient: Identifier;
  purpose: OtpPurpose;
  /** `identifier-changed` goes to the address an account had before its owner replaced it. */
  kind: 'code' | 'account-exists' | 'no-account' | 'identifier-changed';
  code?: string;
  expiresInSeconds: number;
}

/** A way of getting a message to its recipient: the development outbox, or live delivery by SMTP and SMS. */
export abstract class DeliveryChannel {
  abstract send(message: OtpMessage): Promise<void>;
}
