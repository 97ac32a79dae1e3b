import { Inject, Injectable } from '@nestjs/common';
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

/**
 * How many messages each hour were delivered, retried or given up on, per channel: one counter per
 * (hour, channel, outcome) in the KeyValueStore, so the queue in process, the BullMQ workers of every
 * instance and the development channel count in one place. Written after each attempt, best effort:
 * a chart is not worth failing or retrying a delivery for.
 */
@Injectable()
export class DeliveryHistory {
  constructor(
    @Inject(KeyValueStore) private readonly kv: KeyValueStore,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async record(channel: CodeChannel, outcome: DeliveryOutcome): Promise<void> {
    const hour = Math.floor(this.clock.now().getTime() / HOUR_MS);
    await this.kv.add(counterKey(hour, channel, outcome), 1, KEPT_MS).catch(() => undefined);
  }

  /** The counts of hours `fromHour` to `toHour` (exclusive), the hour as its epoch / 3600; zeros left out. */
  async hourly(fromHour: number, toHour: number): Promise<HourlyDeliveries[]> {
    const wanted: Omit<HourlyDeliveries, 'n'>[] = [];
    for (let hour = fromHour; hour < toHour; hour++)
      for (const channel of CHANNELS) for (const outcome of DELIVERY_OUTCOMES) wanted.push({ hour, channel, outcome });
    // Issued together: node-redis sends the commands of one tick in one write.
    const counts = await Promise.all(wanted.map((w) => this.kv.get(counterKey(w.hour, w.channel, w.outcome))));
    return wanted.map((w, i) => ({ ...w, n: Number(counts[i] ?? 0) })).filter((row) => row.n > 0);
  }
}
