import { jest } from '@jest/globals';
import { ManualClock } from '#common';
import { MemoryKeyValueStore } from '#redis';
import { DeliveryHistory } from './delivery-history.js';

describe('DeliveryHistory', () => {
  const HOUR_MS = 3_600_000;

  function history() {
    const clock = new ManualClock(Date.parse('2026-06-01T10:30:00Z'));
    const kv = new MemoryKeyValueStore(clock);
    const add = jest.spyOn(kv, 'add');
    return { clock, kv, add, history: new DeliveryHistory(kv, clock), hour: Math.floor(clock.now().getTime() / HOUR_MS) };
  }

  it('adds a burst of deliveries to the store as one command per counter, not one per message', async () => {
    const { history: h, add, hour } = history();
    for (let i = 0; i < 50; i++) h.record('email', 'delivered');
    h.record('email', 'retried');
    expect(add).not.toHaveBeenCalled();
    await h.flush();
    expect(add.mock.calls.map(([key, n]) => [key, n]).sort()).toEqual([
      [`delivery-history:${hour}:email:delivered`, 50],
      [`delivery-history:${hour}:email:retried`, 1],
    ]);
  });

  it('counts each delivery in the hour it happened, even when the flush comes in the next', async () => {
    const { history: h, clock, hour } = history();
    h.record('sms', 'delivered');
    clock.advance(HOUR_MS);
    h.record('sms', 'delivered');
    expect(await h.hourly(hour, hour + 2)).toEqual([
      { hour, channel: 'sms', outcome: 'delivered', n: 1 },
      { hour: hour + 1, channel: 'sms', outcome: 'delivered', n: 1 },
    ]);
  });

  it('answers what this process has counted at once, and writes what is left at shutdown', async () => {
    const { history: h, kv, hour } = history();
    h.record('email', 'dead_lettered');
    expect(await h.hourly(hour, hour + 1)).toEqual([{ hour, channel: 'email', outcome: 'dead_lettered', n: 1 }]);
    h.record('email', 'dead_lettered');
    await h.beforeApplicationShutdown();
    expect(await kv.get(`delivery-history:${hour}:email:dead_lettered`)).toBe('2');
  });

  it('flushes on its own within a second', async () => {
    jest.useFakeTimers();
    try {
      const { history: h, add } = history();
      h.record('email', 'delivered');
      jest.advanceTimersByTime(999);
      expect(add).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(add).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
