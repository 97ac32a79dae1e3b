import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { Clock } from '#common';
import type { CodeChannel } from '#metrics';
import { KeyValueStore } from '#redis';

export const DELIVERY_OUTCOMES = ['delivered', 'retried', 'dead_lettered'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];
const CHANNELS: CodeChannel[] = ['email', 'sms'];

export interface HourlyDeliveries {
  hour: number;
  channel: CodeChannel;
  outcome: DeliveryOutcome;
  n: number;
}

const HOUR_MS = 3_600_000;
/** The dashboard charts a week; a counter lives a day longer, so the oldest hour charted is whole. */
const KEPT_MS = 8 * 24 * HOUR_MS;
const counterKey = (hour: number, channel: CodeChannel, outcome: DeliveryOutcome) => `delivery-history:${hour}:${channel}:${outcome}`;
/** How long counts wait in the process before they are added to the store, together. */
const FLUSH_MS = 1000;

/**
 * How many messages each hour were delivered, retried or given up on, per channel: one counter per
 * (hour, channel, outcome) in the KeyValueStore, so the queue in process, the Redis queue's workers of every
 * instance and the development channel count in one place. Best effort: a chart is not worth failing
 * or retrying a delivery for. Counted in the process and added to the store at most once a second
 * (one command per counter then, rather than a Redis round trip per message, which was a sixth of
 * the worker's socket writes), and at shutdown; a killed process loses up to a second of counts.
 */
@Injectable()
export class DeliveryHistory implements BeforeApplicationShutdown {
  private readonly pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(KeyValueStore) private readonly kv: KeyValueStore,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  record(channel: CodeChannel, outcome: DeliveryOutcome): void {
    const key = counterKey(Math.floor(this.clock.now().getTime() / HOUR_MS), channel, outcome);
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
  }

  /** Adds what this process has counted to the store. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const counts = [...this.pending];
    this.pending.clear();
    await Promise.all(counts.map(([key, n]) => this.kv.add(key, n, KEPT_MS).catch(() => undefined)));
  }

  /** After the queues have drained (onModuleDestroy), before Redis closes (onApplicationShutdown). */
  beforeApplicationShutdown(): Promise<void> {
    return this.flush();
  }

  /** The counts of hours `fromHour` to `toHour` (exclusive), the hour as its epoch / 3600; zeros left out. */
  async hourly(fromHour: number, toHour: number): Promise<HourlyDeliveries[]> {
    await this.flush();
    const wanted: Omit<HourlyDeliveries, 'n'>[] = [];
    for (let hour = fromHour; hour < toHour; hour++)
      for (const channel of CHANNELS) for (const outcome of DELIVERY_OUTCOMES) wanted.push({ hour, channel, outcome });
    // Issued together: node-redis sends the commands of one tick in one write.
    const counts = await Promise.all(wanted.map((w) => this.kv.get(counterKey(w.hour, w.channel, w.outcome))));
    return wanted.map((w, i) => ({ ...w, n: Number(counts[i] ?? 0) })).filter((row) => row.n > 0);
  }
}
