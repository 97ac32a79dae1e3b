import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '#common';
import {
  OtpStore,
  cooldownKey,
  failuresKey,
  hourlyKey,
  lockKey,
  otpKey,
  verificationTokenKey,
  verificationTokenPayload,
  type IssueCodeInput,
  type IssueResult,
  type OtpPurpose,
  type VerifyCodeInput,
  type VerifyResult,
} from './otp-store.js';

interface Entry {
  value: { hash: string; attempts: number } | number | string;
  expiresAt: number;
}

/**
 * The embedded default's store: the same keys and rules as the Lua scripts, in one process. Each
 * method runs to completion without awaiting, which makes it as atomic as a script on Redis.
 */
export class MemoryOtpStore extends OtpStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: Clock) {
    super();
    this.sweeper = setInterval(() => this.sweep(), 30_000).unref();
  }

  async issueCode(input: IssueCodeInput): Promise<IssueResult> {
    const locked = this.secondsLeft(lockKey(input.identifier));
    if (locked > 0) return { outcome: 'locked', retryAfterSeconds: locked };
    const cooldown = this.secondsLeft(cooldownKey(input.purpose, input.identifier));
    if (cooldown > 0) return { outcome: 'cooldown', retryAfterSeconds: cooldown };
    const hourly = hourlyKey(input.identifier);
    const sent = (this.get(hourly) as number | undefined) ?? 0;
    if (sent >= input.hourlyLimit) return { outcome: 'hourly-limit', retryAfterSeconds: this.secondsLeft(hourly) || 3600 };
    if (sent === 0) this.set(hourly, 1, 3600);
    else this.entries.get(hourly)!.value = sent + 1;
    this.set(otpKey(input.purpose, input.identifier), { hash: input.codeHash, attempts: 0 }, input.ttlSeconds);
    if (input.cooldownSeconds > 0) this.set(cooldownKey(input.purpose, input.identifier), 1, input.cooldownSeconds);
    return { outcome: 'issued' };
  }

  async verifyCode(input: VerifyCodeInput): Promise<VerifyResult> {
    const locked = this.secondsLeft(lockKey(input.identifier));
    if (locked > 0) return { outcome: 'locked', retryAfterSeconds: locked, lockedNow: false };
    const key = otpKey(input.purpose, input.identifier);
    const stored = this.get(key) as { hash: string; attempts: number } | undefined;
    if (!stored) return { outcome: 'no-code' };
    const failures = failuresKey(input.identifier);
    if (safeEqual(stored.hash, input.codeHash)) {
      this.entries.delete(key);
      this.entries.delete(failures);
      this.set(
        verificationTokenKey(input.identifier, input.tokenHash),
        verificationTokenPayload(input.purpose, input.identifier),
        input.tokenTtlSeconds,
      );
      return { outcome: 'verified' };
    }
    const failed = ((this.get(failures) as number | undefined) ?? 0) + 1;
    if (failed === 1) this.set(failures, 1, 3600);
    else this.entries.get(failures)!.value = failed;
    if (failed >= input.failuresBeforeLock) {
      // The failure count stays until its hour is over, so after the lock one more wrong guess re-locks.
      this.set(lockKey(input.identifier), 1, input.lockSeconds);
      this.entries.delete(key);
      return { outcome: 'locked', retryAfterSeconds: input.lockSeconds, lockedNow: true };
    }
    stored.attempts += 1;
    const attemptsLeft = input.maxAttempts - stored.attempts;
    if (attemptsLeft > 0) return { outcome: 'wrong', attemptsLeft };
    this.entries.delete(key);
    return { outcome: 'burned' };
  }

  async consumeVerificationToken(tokenHash: string, purpose: OtpPurpose, identifier: string): Promise<number> {
    const key = verificationTokenKey(identifier, tokenHash);
    if (this.get(key) !== verificationTokenPayload(purpose, identifier)) return 0;
    const msLeft = Math.max(1, this.entries.get(key)!.expiresAt - this.clock.now().getTime());
    this.entries.delete(key);
    return msLeft;
  }

  async restoreVerificationToken(tokenHash: string, purpose: OtpPurpose, identifier: string, ttlMs: number): Promise<void> {
    const key = verificationTokenKey(identifier, tokenHash);
    if (this.get(key) === undefined) this.set(key, verificationTokenPayload(purpose, identifier), ttlMs / 1000);
  }

  async ping(): Promise<void> {}

  close(): void {
    clearInterval(this.sweeper);
  }

  private get(key: string): Entry['value'] | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now().getTime()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private set(key: string, value: Entry['value'], ttlSeconds: number): void {
    this.entries.set(key, { value, expiresAt: this.clock.now().getTime() + ttlSeconds * 1000 });
  }

  private secondsLeft(key: string): number {
    const entry = this.get(key) === undefined ? undefined : this.entries.get(key);
    return entry ? Math.ceil((entry.expiresAt - this.clock.now().getTime()) / 1000) : 0;
  }

  private sweep(): void {
    const now = this.clock.now().getTime();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
