/**
 * An in-process map whose entries expire, bounded in size: the embedded default's stand-in for a
 * Redis key with a TTL. Expired entries are swept when the map is full; if it is still full, the
 * oldest entry goes, so a flood of distinct keys costs bounded memory.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Remaining lifetime in ms, 0 when absent or expired. */
  ttl(key: string): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.expiresAt - this.now()) : 0;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key); // re-inserted last, so insertion order stays oldest-first
    if (this.entries.size >= this.maxEntries) this.sweep();
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
