import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '#common';
import { AppConfig } from '#config';
import { KeyValueStore } from '#redis';

export type BudgetTaken = { taken: true } | { taken: false; scope: 'all' | 'country'; retryAfterSeconds: number; firstRefusal: boolean };

const HOUR_MS = 3_600_000;
const budgetKey = (hour: string, scope: string) => `{sms-budget:${hour}}:${scope}`;

/**
 * The fleet-wide SMS budget (SMS_MAX_PER_HOUR, SMS_MAX_PER_COUNTRY_PER_HOUR): every SMS, code or
 * notice, takes one from the current clock hour's budget, shared by every instance through the
 * KeyValueStore. A ring spreading its requests over many numbers walks around the per-identifier
 * and per-IP limits; it does not walk around this.
 *
 * An SMS is counted first and handed back if that took a count over a limit: each count is atomic,
 * so of a concurrent burst exactly the budget's worth get through, however it arrives.
 */
@Injectable()
export class SmsBudget {
  private readonly limits: { perHour: number; perCountryPerHour: number };

  constructor(
    @Inject(KeyValueStore) private readonly kv: KeyValueStore,
    @Inject(AppConfig) config: AppConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {
    this.limits = config.otp.smsBudget;
  }

  get enabled(): boolean {
    return this.limits.perHour > 0 || this.limits.perCountryPerHour > 0;
  }

  async take(country: string): Promise<BudgetTaken> {
    const { hour, msLeft } = this.window();
    const [all, perCountry] = await this.add(hour, msLeft, country, 1);
    const { perHour, perCountryPerHour } = this.limits;
    const scope = perHour > 0 && all > perHour ? 'all' : perCountryPerHour > 0 && perCountry > perCountryPerHour ? 'country' : undefined;
    if (!scope) return { taken: true };
    // Handed back in the hour it was counted in, even if the clock has turned meanwhile.
    await this.add(hour, msLeft, country, -1);
    // The first refusal of each scope in an hour is the one to audit and alert on.
    const reported = budgetKey(hour, `reported:${scope === 'all' ? 'all' : country}`);
    const firstRefusal = await this.kv.set(reported, '1', msLeft, { onlyIfAbsent: true });
    return { taken: false, scope, retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)), firstRefusal };
  }

  /** For an SMS that was counted but then not sent (the request failed after the count). */
  async giveBack(country: string): Promise<void> {
    const { hour, msLeft } = this.window();
    await this.add(hour, msLeft, country, -1);
  }

  /** Adds to the hour's all-numbers and per-country counts; answers both after the addition. */
  private async add(hour: string, msLeft: number, country: string, amount: number): Promise<number[]> {
    const scopes = ['all', `country:${country}`];
    return Promise.all(scopes.map(async (scope) => (await this.kv.add(budgetKey(hour, scope), amount, msLeft)).count));
  }

  /** The budget is per clock hour: its keys name the hour and live to its end. */
  private window(): { hour: string; msLeft: number } {
    const now = this.clock.now().getTime();
    const hourStart = Math.floor(now / HOUR_MS) * HOUR_MS;
    return { hour: new Date(hourStart).toISOString().slice(0, 13), msLeft: hourStart + HOUR_MS - now };
  }
}
