import { ManualClock } from '#common';
import { keyValueStoreContract } from './key-value-store.contract.js';
import { MemoryKeyValueStore } from './key-value-store.js';

keyValueStoreContract('in-process', async () => {
  const clock = new ManualClock();
  return { store: new MemoryKeyValueStore(clock), advance: async (ms) => clock.advance(ms), close: async () => undefined };
});
