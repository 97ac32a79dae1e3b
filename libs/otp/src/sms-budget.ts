import type { Clock } from '#common';
import { LuaScript, type RedisConnection } from '#redis';

export type BudgetTaken = { taken: true } | { taken: false; scope: 'all' | 'country'; retryAfterSeconds: number; firstRefusal: boolean };

export interface SmsBudgetLimits {
  /** SMS to all numbers together per hour; 0: no limit. */
  perHour: number;
  /** SMS to one country's numbers per hour; 0: no limit. */
  perCountryPerHour: number;
}

/**
 * The fleet-wide SMS budget (SMS_MAX_PER_HOUR, SMS_MAX_PER_COUNTRY_PER_HOUR): every SMS, code or
 * notice, takes one from the current clock hour's budget, shared by every instance through Redis
 * (in process on the embedded default). A ring spreading its requests over many numbers walks
 * around the per-identifier and per-IP limits; it does not walk around this.
 */
export abstract class SmsBudget {
  constructor(
    protected readonly limits: SmsBudgetLimits,
    protected readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.limits.perHour > 0 || this.limits.perCountryPerHour > 0;
  }

  abstract take(country: string): Promise<BudgetTaken>;
  /** For an SMS that was counted but then not sent (the code request was refused after all). */
  abstract giveBack(country: string): Promise<void>;

  protected window(): { hour: string; secondsLeft: number } {
    const now = this.clock.now().getTime();
    const hourStart = Math.floor(now / 3_600_000) * 3_600_000;
    return {
      hour: new Date(hourStart).toISOString().slice(0, 13),
      secondsLeft: Math.max(1, Math.ceil((hourStart + 3_600_000 - now) / 1000)),
    };
  }
}

const takeScript = LuaScript.fromFile(new URL('./lua/sms-budget.lua', import.meta.url));
// One hash tag per hour: the four keys of a take live in one slot of a Redis Cluster.
const budgetKeys = (hour: string, country: string) => {
  const tag = `{sms-budget:${hour}}`;
  return [`${tag}:all`, `${tag}:country:${country}`, `${tag}:reported:all`, `${tag}:reported:${country}`];
};

export class RedisSmsBudget extends SmsBudget {
  constructor(
    private readonly redis: RedisConnection,
    limits: SmsBudgetLimits,
    clock: Clock,
  ) {
    super(limits, clock);
  }

  async take(country: string): Promise<BudgetTaken> {
    const { hour, secondsLeft } = this.window();
    const [scope, first] = (await this.redis.evalScript(takeScript, budgetKeys(hour, country), [
      String(this.limits.perHour),
      String(this.limits.perCountryPerHour),
      String(secondsLeft),
    ])) as [number, number];
    if (scope === 0) return { taken: true };
    return { taken: false, scope: scope === 1 ? 'all' : 'country', retryAfterSeconds: secondsLeft, firstRefusal: first === 1 };
  }

  async giveBack(country: string): Promise<void> {
    const [all, perCountry] = budgetKeys(this.window().hour, country);
    await this.redis.run((client) => client.multi().decr(all).decr(perCountry).exec());
  }
}

export class MemorySmsBudget extends SmsBudget {
  private hour = '';
  private readonly counts = new Map<string, number>();
  private readonly reported = new Set<string>();

  async take(country: string): Promise<BudgetTaken> {
    const { secondsLeft } = this.turnOver();
    const all = this.counts.get('all') ?? 0;
    const perCountry = this.counts.get(country) ?? 0;
    const scope =
      this.limits.perHour > 0 && all >= this.limits.perHour
        ? 'all'
        : this.limits.perCountryPerHour > 0 && perCountry >= this.limits.perCountryPerHour
          ? 'country'
          : undefined;
    if (scope) {
      const marker = scope === 'all' ? 'all' : country;
      const firstRefusal = !this.reported.has(marker);
      this.reported.add(marker);
      return { taken: false, scope, retryAfterSeconds: secondsLeft, firstRefusal };
    }
    this.counts.set('all', all + 1);
    this.counts.set(country, perCountry + 1);
    return { taken: true };
  }

  async giveBack(country: string): Promise<void> {
    this.turnOver();
    for (const key of ['all', country]) this.counts.set(key, Math.max(0, (this.counts.get(key) ?? 0) - 1));
  }

  /** A new clock hour starts a new budget. */
  private turnOver(): { secondsLeft: number } {
    const { hour, secondsLeft } = this.window();
    if (hour !== this.hour) {
      this.hour = hour;
      this.counts.clear();
      this.reported.clear();
    }
    return { secondsLeft };
  }
}
