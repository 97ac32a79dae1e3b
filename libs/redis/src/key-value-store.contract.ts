import type { KeyValueStore } from './key-value-store.js';

/**
 * The behaviour both KeyValueStore implementations promise. Run against the in-process store by
 * key-value-store.memory.spec.ts and against a real Redis by test/real-services/key-value-store.redis.e2e-spec.ts.
 */
export function keyValueStoreContract(
  name: string,
  setup: () => Promise<{ store: KeyValueStore; advance(ms: number): Promise<void>; close(): Promise<void> }>,
) {
  describe(`KeyValueStore contract: ${name}`, () => {
    let store: KeyValueStore;
    let advance: (ms: number) => Promise<void>;
    let close: () => Promise<void>;
    let n = 0;
    const key = () => `kv-contract:${process.pid}:${Date.now()}:${n++}`;

    beforeAll(async () => ({ store, advance, close } = await setup()));
    afterAll(() => close());

    it('answers what was set until its lifetime ends, then nothing', async () => {
      const k = key();
      expect(await store.get(k)).toBeUndefined();
      expect(await store.set(k, 'value', 300)).toBe(true);
      expect(await store.get(k)).toBe('value');
      await advance(400);
      expect(await store.get(k)).toBeUndefined();
    });

    it('replaces a value, or with onlyIfAbsent keeps the one already there', async () => {
      const k = key();
      await store.set(k, 'first', 60_000);
      expect(await store.set(k, 'second', 60_000, { onlyIfAbsent: true })).toBe(false);
      expect(await store.get(k)).toBe('first');
      expect(await store.set(k, 'third', 60_000)).toBe(true);
      expect(await store.get(k)).toBe('third');
      await store.delete(k);
      expect(await store.set(k, 'fourth', 60_000, { onlyIfAbsent: true })).toBe(true);
      expect(await store.get(k)).toBe('fourth');
    });

    it('counts in a window that starts with the first count and does not move with later ones', async () => {
      const k = key();
      expect(await store.add(k, 1, 500)).toEqual({ count: 1, msLeft: expect.any(Number) });
      await advance(300);
      const second = await store.add(k, 1, 500);
      expect(second.count).toBe(2);
      expect(second.msLeft).toBeLessThanOrEqual(200);
      await advance(300);
      expect((await store.add(k, 1, 500)).count).toBe(1);
    });

    it('counts every one of many concurrent additions exactly once', async () => {
      const k = key();
      const counts = await Promise.all(Array.from({ length: 50 }, () => store.add(k, 1, 60_000)));
      expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('gives a count back, but never starts a window with a negative amount', async () => {
      const k = key();
      await store.add(k, 1, 60_000);
      await store.add(k, 1, 60_000);
      expect((await store.add(k, -1, 60_000)).count).toBe(1);
      const absent = key();
      expect(await store.add(absent, -1, 60_000)).toEqual({ count: 0, msLeft: 0 });
      expect(await store.get(absent)).toBeUndefined();
    });

    it('forgets a deleted counter, so the next count starts a new window', async () => {
      const k = key();
      await store.add(k, 5, 60_000);
      await store.delete(k);
      expect((await store.add(k, 1, 60_000)).count).toBe(1);
      expect(await store.get(k)).toBe('1');
    });
  });
}
