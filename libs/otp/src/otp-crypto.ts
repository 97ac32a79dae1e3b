import { createHash, createHmac, randomInt, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '#config';
import type { OtpPurpose } from './otp-store.js';

/** Randomness and hashing for codes and verification tokens, behind one class tests can pin. */
@Injectable()
export class OtpCrypto {
  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  /** Uniform over all `length`-digit strings (crypto.randomInt has no modulo bias). */
  generateCode(): string {
    const { length } = this.config.otp;
    return randomInt(0, 10 ** length)
      .toString()
      .padStart(length, '0');
  }

  /**
   * Codes are stored as HMAC-SHA256 under a server secret (never in plain text), bound to the
   * purpose and identifier, so a leaked Redis dump gives no code and no hash is valid elsewhere.
   */
  hashCode(purpose: OtpPurpose, identifier: string, code: string): string {
    return createHmac('sha256', this.config.otp.secret).update(`${purpose}\n${identifier}\n${code}`).digest('base64url');
  }

  newVerificationToken(): string {
    return randomUUID();
  }

  /** Verification tokens are looked up by their SHA-256, so the store never holds a usable token. */
  hashToken(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }
}
