import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError } from '#common';
import { AppConfig } from '#config';
import { Metrics } from '#metrics';

/** The part of a siteverify answer that decides (Turnstile, hCaptcha and reCAPTCHA agree on it). */
interface SiteverifyAnswer {
  success?: unknown;
  hostname?: unknown;
}

/** A siteverify answer is a few hundred bytes; anything much larger is not one. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The CAPTCHA on code requests (CAPTCHA_PROVIDER): the client's token is checked with the
 * provider's siteverify API before anything is stored or sent. Every token is checked anew: the
 * providers make them single use, so nothing is cached.
 */
@Injectable()
export class CaptchaService {
  private readonly logger = new Logger('Captcha');

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  /** Resolves when the purpose needs no CAPTCHA or the token passes; throws CAPTCHA_REQUIRED, _INVALID or _UNAVAILABLE. */
  async check(purpose: string, token: string | undefined, remoteIp: string | undefined): Promise<void> {
    const captcha = this.config.captcha;
    if (!captcha || !captcha.purposes.includes(purpose)) return;
    if (!token) {
      this.metrics.captchaChecks.inc({ outcome: 'missing' });
      throw new DomainError('CAPTCHA_REQUIRED', 'This request needs a CAPTCHA: send the token the widget gave you as captcha_token.');
    }
    let answer: SiteverifyAnswer;
    try {
      answer = await this.siteverify(captcha.verifyUrl, captcha.secretKey, token, remoteIp, captcha.timeoutMs);
    } catch (error) {
      if (captcha.failOpen) {
        this.metrics.captchaChecks.inc({ outcome: 'failed_open' });
        this.logger.warn(`CAPTCHA provider unavailable (${(error as Error).message}); request let through (CAPTCHA_FAIL_OPEN)`);
        return;
      }
      this.metrics.captchaChecks.inc({ outcome: 'unavailable' });
      this.logger.warn(`CAPTCHA provider unavailable: ${(error as Error).message}`);
      throw new DomainError('CAPTCHA_UNAVAILABLE', 'The CAPTCHA could not be checked just now; try again shortly.', 5);
    }
    const hostnameMatches = !captcha.expectedHostname || answer.hostname === captcha.expectedHostname;
    if (answer.success !== true || !hostnameMatches) {
      this.metrics.captchaChecks.inc({ outcome: 'refused' });
      throw new DomainError('CAPTCHA_INVALID', 'The CAPTCHA was not solved, has expired or was already used; solve it again.');
    }
    this.metrics.captchaChecks.inc({ outcome: 'passed' });
  }

  private async siteverify(
    url: string,
    secret: string,
    token: string,
    remoteIp: string | undefined,
    timeoutMs: number,
  ): Promise<SiteverifyAnswer> {
    const form = new URLSearchParams({ secret, response: token, ...(remoteIp ? { remoteip: remoteIp } : {}) });
    // The whole exchange, body included, is bounded in time; a redirect is not followed (the secret would go with it).
    const response = await fetch(url, { method: 'POST', body: form, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`siteverify answered HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_ANSWER_BYTES) throw new Error('siteverify answered with an oversized body');
    const answer = JSON.parse(text) as unknown;
    if (typeof answer !== 'object' || answer === null) throw new Error('siteverify answered something that is not a JSON object');
    return answer as SiteverifyAnswer;
  }
}
