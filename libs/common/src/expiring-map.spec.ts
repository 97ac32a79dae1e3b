import { ExpiringMap } from './expiring-map.js';

describe('ExpiringMap', () => {
  let now = 0;
  const map = () => new ExpiringMap<number>(3, () => now);
  beforeEach(() => (now = 1_000));

  it('returns a value until its lifetime ends, then forgets it', () => {
    const m = map();
    m.set('a', 1, 500);
    now += 499;
    expect([m.get('a'), m.ttl('a')]).toEqual([1, 1]);
    now += 1;
    expect([m.get('a'), m.ttl('a'), m.size]).toEqual([undefined, 0, 0]);
  });

  it('stays within its bound: sweeps expired entries first, then drops the oldest', () => {
    const m = map();
    m.set('old', 1, 100);
    m.set('b', 2, 10_000);
    m.set('c', 3, 10_000);
    now += 200;
    m.set('d', 4, 10_000); // 'old' has expired and makes room
    expect([m.get('b'), m.get('c'), m.get('d'), m.size]).toEqual([2, 3, 4, 3]);
    m.set('e', 5, 10_000); // nothing expired: the oldest ('b') goes
    expect([m.get('b'), m.get('e'), m.size]).toEqual([undefined, 5, 3]);
  });

  it('treats a key set again as the newest', () => {
    const m = map();
    m.set('a', 1, 10_000);
    m.set('b', 2, 10_000);
    m.set('c', 3, 10_000);
    m.set('a', 10, 10_000);
    m.set('d', 4, 10_000);
    expect([m.get('a'), m.get('b')]).toEqual([10, undefined]);
  });
});
