import { ManualClock } from '#common';
import { keyValueStoreContract } from './key-value-store.contract.js';
import { MemoryKeyValueStore } from './key-value-store.js';

keyValueStoreContract('in-process', async () => {
  const clock = new ManualClock();
  return { store: new MemoryKeyValueStore(clock), advance: async (ms) => clock.advance(ms), close: async () => undefined };
});

describe('in-process KeyValueStore under a flood of keys', () => {
  it('lets a flood of one namespace push out only that namespace’s oldest entries', async () => {
    const store = new MemoryKeyValueStore(new ManualClock(), 100);
    await store.add('admin:failed:account:victim', 5, 900_000);
    for (let i = 0; i < 1000; i++) await store.add(`ratelimit:ip:${i}`, 1, 3_600_000);
    expect(await store.get('admin:failed:account:victim')).toBe('5');
    expect(await store.get('ratelimit:ip:999')).toBe('1');
    expect(await store.get('ratelimit:ip:0')).toBeUndefined();
  });
});
