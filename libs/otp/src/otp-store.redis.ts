import { LuaScript, type RedisConnection } from '#redis';
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

const issueCode = LuaScript.fromFile(new URL('./lua/issue-code.lua', import.meta.url));
const verifyCode = LuaScript.fromFile(new URL('./lua/verify-code.lua', import.meta.url));
const consumeToken = LuaScript.fromFile(new URL('./lua/consume-verification-token.lua', import.meta.url));

/** One round trip per operation: each is a Lua script, atomic on the Redis server. */
export class RedisOtpStore extends OtpStore {
  constructor(private readonly redis: RedisConnection) {
    super();
  }

  async issueCode(input: IssueCodeInput): Promise<IssueResult> {
    const [status, seconds] = (await this.redis.evalScript(
      issueCode,
      [
        otpKey(input.purpose, input.identifier),
        cooldownKey(input.purpose, input.identifier),
        hourlyKey(input.identifier),
        lockKey(input.identifier),
      ],
      [input.codeHash, String(input.ttlSeconds), String(input.cooldownSeconds), String(input.hourlyLimit)],
    )) as [number, number];
    if (status === 0) return { outcome: 'issued' };
    return { outcome: status === 1 ? 'cooldown' : status === 2 ? 'hourly-limit' : 'locked', retryAfterSeconds: seconds };
  }

  async verifyCode(input: VerifyCodeInput): Promise<VerifyResult> {
    const [status, left] = (await this.redis.evalScript(
      verifyCode,
      [
        otpKey(input.purpose, input.identifier),
        verificationTokenKey(input.identifier, input.tokenHash),
        failuresKey(input.identifier),
        lockKey(input.identifier),
      ],
      [
        input.codeHash,
        String(input.maxAttempts),
        String(input.tokenTtlSeconds),
        verificationTokenPayload(input.purpose, input.identifier),
        String(input.failuresBeforeLock),
        String(input.lockSeconds),
      ],
    )) as [number, number];
    switch (status) {
      case 0:
        return { outcome: 'verified' };
      case 1:
        return { outcome: 'wrong', attemptsLeft: left };
      case 2:
        return { outcome: 'no-code' };
      case 3:
        return { outcome: 'burned' };
      default:
        return { outcome: 'locked', retryAfterSeconds: left, lockedNow: status === 5 };
    }
  }

  async consumeVerificationToken(tokenHash: string, purpose: OtpPurpose, identifier: string): Promise<number> {
    return (await this.redis.evalScript(
      consumeToken,
      [verificationTokenKey(identifier, tokenHash)],
      [verificationTokenPayload(purpose, identifier)],
    )) as number;
  }

  async restoreVerificationToken(tokenHash: string, purpose: OtpPurpose, identifier: string, ttlMs: number): Promise<void> {
    await this.redis.run((client) =>
      client.set(verificationTokenKey(identifier, tokenHash), verificationTokenPayload(purpose, identifier), {
        PX: Math.max(1, Math.round(ttlMs)),
        NX: true,
      }),
    );
  }

  ping(): Promise<void> {
    return this.redis.ping();
  }
}
