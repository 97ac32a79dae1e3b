import type { OtpPurpose } from '#delivery';

export { OTP_PURPOSES, type OtpPurpose } from '#delivery';

export type IssueResult = { outcome: 'issued' } | { outcome: 'cooldown' | 'hourly-limit' | 'locked'; retryAfterSeconds: number };

export type VerifyResult =
  | { outcome: 'verified' }
  | { outcome: 'wrong'; attemptsLeft: number }
  | { outcome: 'no-code' }
  | { outcome: 'burned' }
  /** `lockedNow`: this guess started the lock (as opposed to arriving while it runs). */
  | { outcome: 'locked'; retryAfterSeconds: number; lockedNow: boolean };

export interface IssueCodeInput {
  purpose: OtpPurpose;
  identifier: string;
  codeHash: string;
  ttlSeconds: number;
  cooldownSeconds: number;
  hourlyLimit: number;
}

export interface VerifyCodeInput {
  purpose: OtpPurpose;
  identifier: string;
  codeHash: string;
  maxAttempts: number;
  /** SHA-256 of the verification token to create when the code matches. */
  tokenHash: string;
  tokenTtlSeconds: number;
  /** Wrong guesses per identifier per hour, across codes, before it is locked. */
  failuresBeforeLock: number;
  lockSeconds: number;
}

/**
 * Where codes and verification tokens live: Redis (shared by every instance) or the in-process
 * store of the embedded default. Each operation is atomic; both implementations pass one contract
 * suite (otp-store.contract.ts).
 */
export abstract class OtpStore {
  abstract issueCode(input: IssueCodeInput): Promise<IssueResult>;
  abstract verifyCode(input: VerifyCodeInput): Promise<VerifyResult>;
  /**
   * Atomically uses the token up: for exactly one caller, the ms of life it had left (at least 1);
   * for everyone else (unknown, expired, spent, another purpose or identifier) 0.
   */
  abstract consumeVerificationToken(tokenHash: string, purpose: OtpPurpose, identifier: string): Promise<number>;
  /** Puts a consumed token back, for the ms it had left, after the work it paid for failed. */
  abstract restoreVerificationToken(tokenHash: string, purpose: OtpPurpose, identifier: string, ttlMs: number): Promise<void>;
  abstract ping(): Promise<void>;
}

// Every key of one identifier carries it as a hash tag ({…}), so on a Redis Cluster they share one
// slot and each Lua script's keys live on one node. docs/architecture.md lists every key and its TTL.
export const otpKey = (purpose: OtpPurpose, identifier: string) => `otp:${purpose}:{${identifier}}`;
export const cooldownKey = (purpose: OtpPurpose, identifier: string) => `otp:cooldown:${purpose}:{${identifier}}`;
export const hourlyKey = (identifier: string) => `otp:hourly:{${identifier}}`;
export const failuresKey = (identifier: string) => `otp:failures:{${identifier}}`;
export const lockKey = (identifier: string) => `otp:lock:{${identifier}}`;
export const verificationTokenKey = (identifier: string, tokenHash: string) => `vtoken:{${identifier}}:${tokenHash}`;
export const verificationTokenPayload = (purpose: OtpPurpose, identifier: string) => `${purpose}:${identifier}`;
