import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '#audit';
import { DomainError } from '#common';
import { Metrics, channelOf } from '#metrics';
import { CaptchaService } from '#captcha';
import { AppConfig } from '#config';
import { UsersService, countryOfPhone, normalizeIdentifier, type Identifier } from '#users';
import { DeliveryChannel } from '#delivery';
import { OtpCrypto } from './otp-crypto.js';
import { OtpStore, type OtpPurpose } from './otp-store.js';
import { SmsBudget } from './sms-budget.js';

export interface CodeRequested {
  expiresInSeconds: number;
  resendAfterSeconds: number;
}

export interface VerificationTokenIssued {
  verificationToken: string;
  expiresInSeconds: number;
}

/**
 * The one-time-code rules: who gets a usable code, how codes are stored and checked, and the
 * single-use verification token a correct code buys.
 */
@Injectable()
export class OtpService {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(OtpStore) private readonly store: OtpStore,
    @Inject(DeliveryChannel) private readonly delivery: DeliveryChannel,
    @Inject(OtpCrypto) private readonly crypto: OtpCrypto,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(CaptchaService) private readonly captcha: CaptchaService,
    @Inject(SmsBudget) private readonly smsBudget: SmsBudget,
  ) {}

  normalize(rawIdentifier: string): Identifier {
    return normalizeIdentifier(rawIdentifier, this.config.otp.phoneDefaultCountry);
  }

  /**
   * Always does the same work and gives the same answer, whether or not an account exists: a
   * REGISTER for a taken identifier or a LOGIN for an unknown one stores the hash of a code nobody
   * is sent (so verify answers exactly as for a wrong guess), and the owner gets a notice instead.
   */
  async requestCode(rawIdentifier: string, purpose: OtpPurpose, context: CodeRequestContext = {}): Promise<CodeRequested> {
    // A new address for an account is asked for by its signed-in owner; whether the address is free
    // is then answered exactly as REGISTER answers it.
    if (purpose === 'CHANGE_IDENTIFIER' && !context.requester)
      throw new DomainError('AUTH_REQUIRED', 'CHANGE_IDENTIFIER needs the access token of the account the address is for.');
    const identifier = this.normalize(rawIdentifier);
    this.assertSmsAllowed(identifier);
    // Before anything is looked up, stored or sent: a bot without a solved CAPTCHA costs nothing but this.
    await this.captcha.check(purpose, context.captchaToken, context.ip);
    const smsCountry = await this.takeSmsBudget(identifier);
    try {
      return await this.issueAndSend(identifier, purpose);
    } catch (error) {
      // Refused after all (cooldown, limits) or not sent (a dependency down): that SMS was not spent.
      if (smsCountry) await this.smsBudget.giveBack(smsCountry).catch(() => undefined);
      throw error;
    }
  }

  private async issueAndSend(identifier: Identifier, purpose: OtpPurpose): Promise<CodeRequested> {
    const { ttlSeconds, resendCooldownSeconds, hourlyLimit } = this.config.otp;
    const accountExists = await this.users.existsByIdentifier(identifier);
    const usable = purpose === 'LOGIN' ? accountExists : !accountExists;
    const code = this.crypto.generateCode();
    const issued = await this.store.issueCode({
      purpose,
      identifier: identifier.value,
      codeHash: this.crypto.hashCode(purpose, identifier.value, code),
      ttlSeconds,
      cooldownSeconds: resendCooldownSeconds,
      hourlyLimit,
    });
    if (issued.outcome === 'cooldown') {
      throw new DomainError(
        'OTP_COOLDOWN',
        `A code was sent recently; wait ${issued.retryAfterSeconds} s before asking again.`,
        issued.retryAfterSeconds,
      );
    }
    if (issued.outcome === 'locked') throw identifierLocked(issued.retryAfterSeconds);
    if (issued.outcome === 'hourly-limit') {
      throw new DomainError('OTP_RATE_LIMITED', 'Too many codes requested for this identifier; try again later.', issued.retryAfterSeconds);
    }
    this.metrics.codesRequested.inc({ purpose, channel: channelOf(identifier.kind) });
    await this.delivery.send({
      recipient: identifier,
      purpose,
      kind: usable ? 'code' : purpose === 'LOGIN' ? 'no-account' : 'account-exists',
      code: usable ? code : undefined,
      expiresInSeconds: ttlSeconds,
    });
    return { expiresInSeconds: ttlSeconds, resendAfterSeconds: resendCooldownSeconds };
  }

  /**
   * SMS_ALLOWED_COUNTRIES and SMS_BLOCKED_PREFIXES (premium-rate ranges, countries the operator
   * does not serve): a number outside them is refused before anything is looked up or sent, so the
   * answer is the same whether or not it has an account.
   */
  private assertSmsAllowed(identifier: Identifier): void {
    if (identifier.kind !== 'phone') return;
    const { smsAllowedCountries, smsBlockedPrefixes } = this.config.otp;
    const blocked = smsBlockedPrefixes.some((prefix) => identifier.value.startsWith(prefix));
    const country = smsAllowedCountries.length ? countryOfPhone(identifier.value) : undefined;
    if (blocked || (smsAllowedCountries.length && (!country || !smsAllowedCountries.includes(country)))) {
      throw new DomainError(
        'PHONE_COUNTRY_NOT_ALLOWED',
        'Codes are not sent by SMS to this number; use another number or an email address.',
      );
    }
  }

  /**
   * Every SMS, code or notice, takes one from the fleet's hourly budget; a spent budget refuses the
   * request (429, until the hour turns) whether or not the number has an account. Answers the
   * country the SMS was counted against, so that a refused request can give it back.
   */
  private async takeSmsBudget(identifier: Identifier): Promise<string | undefined> {
    if (identifier.kind !== 'phone' || !this.smsBudget.enabled) return undefined;
    const country = countryOfPhone(identifier.value) ?? 'unknown';
    const taken = await this.smsBudget.take(country);
    if (taken.taken) return country;
    this.metrics.smsBudgetRefusals.inc({ country });
    // Once per window and scope: a ring that keeps trying writes one row, not a million.
    if (taken.firstRefusal) {
      const limit = taken.scope === 'all' ? this.config.otp.smsBudget.perHour : this.config.otp.smsBudget.perCountryPerHour;
      await this.audit.recordBestEffort({ type: 'sms.budget_exceeded', details: { scope: taken.scope, country, limit } });
    }
    throw new DomainError(
      'SMS_BUDGET_EXCEEDED',
      'No more codes can be sent by SMS this hour; try again later, or use an email address.',
      taken.retryAfterSeconds,
    );
  }

  /** Tells the owner of an address what happened to it (no code): e.g. that their account replaced it. */
  sendNotice(recipient: Identifier, purpose: OtpPurpose, kind: 'identifier-changed'): Promise<void> {
    return this.delivery.send({ recipient, purpose, kind, expiresInSeconds: this.config.otp.ttlSeconds });
  }

  /** Burns the code on success and returns a verification token bound to identifier and purpose. */
  async verifyCode(rawIdentifier: string, purpose: OtpPurpose, code: string): Promise<VerificationTokenIssued> {
    const identifier = this.normalize(rawIdentifier);
    const verificationToken = this.crypto.newVerificationToken();
    const { maxAttempts, verificationTtlSeconds, failuresBeforeLockout, lockoutSeconds } = this.config.otp;
    const result = await this.store.verifyCode({
      purpose,
      identifier: identifier.value,
      codeHash: this.crypto.hashCode(purpose, identifier.value, code),
      maxAttempts,
      tokenHash: this.crypto.hashToken(verificationToken),
      tokenTtlSeconds: verificationTtlSeconds,
      failuresBeforeLock: failuresBeforeLockout,
      lockSeconds: lockoutSeconds,
    });
    this.count(result, purpose, identifier);
    switch (result.outcome) {
      case 'verified':
        return { verificationToken, expiresInSeconds: verificationTtlSeconds };
      case 'wrong':
        throw new DomainError('OTP_INVALID', `The code is not valid; ${result.attemptsLeft} attempt(s) left.`);
      case 'burned':
        await this.audit.recordBestEffort({ type: 'otp.locked', details: { purpose, identifier: identifier.value } });
        throw new DomainError('OTP_LOCKED', 'Too many wrong attempts: this code no longer works. Request a new one.');
      case 'no-code':
        throw new DomainError('OTP_EXPIRED', 'There is no active code for this identifier; request a new one.');
      case 'locked':
        // Recorded when the lock starts, not for every refused attempt during it.
        if (result.lockedNow) {
          await this.audit.recordBestEffort({
            type: 'otp.identifier_locked',
            details: { purpose, identifier: identifier.value, seconds: lockoutSeconds },
          });
        }
        throw identifierLocked(result.retryAfterSeconds);
    }
  }

  private count(result: { outcome: string; lockedNow?: boolean }, purpose: OtpPurpose, identifier: Identifier): void {
    const labels = { purpose, channel: channelOf(identifier.kind) };
    if (result.outcome === 'verified') return void this.metrics.codesVerified.inc(labels);
    this.metrics.verifyFailures.inc({ ...labels, reason: result.outcome === 'no-code' ? 'expired' : result.outcome });
    if (result.outcome === 'burned') this.metrics.codesLocked.inc({ ...labels, scope: 'code' });
    if (result.outcome === 'locked' && result.lockedNow) this.metrics.codesLocked.inc({ ...labels, scope: 'identifier' });
  }

  /**
   * Uses the token up; of concurrent callers exactly one gets through, the rest are refused. What it
   * answers gives the token back, for no longer than it had left, when the work it paid for failed.
   */
  async consumeVerificationToken(token: string, purpose: OtpPurpose, identifier: Identifier): Promise<SpentVerificationToken> {
    const tokenHash = this.crypto.hashToken(token);
    const msLeft = await this.store.consumeVerificationToken(tokenHash, purpose, identifier.value);
    if (!msLeft) throw invalidToken();
    return { restore: () => this.store.restoreVerificationToken(tokenHash, purpose, identifier.value, msLeft) };
  }
}

export interface CodeRequestContext {
  /** The signed-in account asking (CHANGE_IDENTIFIER needs one). */
  requester?: { id: string };
  /** The CAPTCHA widget's token, when CAPTCHA_PROVIDER asks for one. */
  captchaToken?: string;
  /** The client's address, passed to the CAPTCHA provider. */
  ip?: string;
}

export interface SpentVerificationToken {
  restore(): Promise<void>;
}

const identifierLocked = (seconds: number) =>
  new DomainError('IDENTIFIER_LOCKED', 'Too many wrong codes for this identifier; it is locked for a while.', seconds);

const invalidToken = () =>
  new DomainError('VERIFICATION_TOKEN_INVALID', 'The verification token is invalid, expired, already used, or not for this identifier.');
