import { ExpiringMap, type Clock } from '#common';

/** A counter after an addition: its value, and how long its window has left. */
export interface Count {
  count: number;
  msLeft: number;
}

/**
 * Short-lived keyed state, the same promise on Redis (shared by every instance) and in process (the
 * embedded default): the failed sign-in counters, the per-IP limits, the SMS budget, the user cache.
 * Each key is its own: no operation spans two, so every one also runs on a Redis Cluster. Redis
 * unreachable: every call fails with DependencyUnavailableError (→ 503), and callers decide whether
 * that fails the request or is let through. Behaviour: key-value-store.contract.ts.
 */
export abstract class KeyValueStore {
  /** True when every process sees the same entries; false for one process's memory. */
  abstract readonly shared: boolean;

  abstract get(key: string): Promise<string | undefined>;

  /** Stores `value` for `ttlMs`; with `onlyIfAbsent`, only when the key holds nothing. Answers whether it stored. */
  abstract set(key: string, value: string, ttlMs: number, options?: { onlyIfAbsent?: boolean }): Promise<boolean>;

  abstract delete(key: string): Promise<void>;

  /**
   * Adds `amount` to a counter, atomically, in a fixed window of `windowMs` that starts with its
   * first count; answers the count after the addition. A negative amount on a counter that is not
   * there does nothing and answers 0.
   */
  abstract add(key: string, amount: number, windowMs: number): Promise<Count>;
}

/** Entries the in-process store holds at most per namespace; beyond that, expired ones and then the oldest go. */
const MAX_ENTRIES_PER_NAMESPACE = 100_000;

/**
 * Bounded in memory, and bounded per namespace (a key's part before its first colon): a flood of
 * one kind of key, per-IP counters from many addresses, can push out only its own kind's oldest
 * entries, never the failed sign-in counters that hold a guesser back.
 */
export class MemoryKeyValueStore extends KeyValueStore {
  readonly shared = false;
  private readonly namespaces = new Map<string, ExpiringMap<string | number>>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntriesPerNamespace = MAX_ENTRIES_PER_NAMESPACE,
  ) {
    super();
  }

  private entriesOf(key: string): ExpiringMap<string | number> {
    const namespace = key.slice(0, Math.max(0, key.indexOf(':')));
    let entries = this.namespaces.get(namespace);
    if (!entries)
      this.namespaces.set(namespace, (entries = new ExpiringMap(this.maxEntriesPerNamespace, () => this.clock.now().getTime())));
    return entries;
  }

  async get(key: string): Promise<string | undefined> {
    const value = this.entriesOf(key).get(key);
    return value === undefined ? undefined : String(value);
  }

  async set(key: string, value: string, ttlMs: number, options: { onlyIfAbsent?: boolean } = {}): Promise<boolean> {
    const entries = this.entriesOf(key);
    if (options.onlyIfAbsent && entries.get(key) !== undefined) return false;
    entries.set(key, value, ttlMs);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.entriesOf(key).delete(key);
  }

  async add(key: string, amount: number, windowMs: number): Promise<Count> {
    const entries = this.entriesOf(key);
    const current = entries.get(key);
    if (current === undefined && amount < 0) return { count: 0, msLeft: 0 };
    const count = Number(current ?? 0) + amount;
    const msLeft = current === undefined ? windowMs : entries.ttl(key);
    entries.set(key, count, msLeft);
    return { count, msLeft };
  }
}
