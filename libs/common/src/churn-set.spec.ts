import { ChurnSet } from './churn-set.js';

describe('ChurnSet', () => {
  const members = (set: ChurnSet<object>) => [...set];

  it('holds each member once, whatever order they join and leave in', () => {
    const set = new ChurnSet<{ name: string }>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => ({ name }));
    for (const member of [a, b, c, a]) set.add(member);
    expect(set.size).toBe(3);
    expect(set.delete(a)).toBe(true);
    expect(set.delete(a)).toBe(false);
    set.add(d);
    expect(set.delete(c)).toBe(true);
    expect(new Set(set)).toEqual(new Set([b, d]));
    expect(set.delete(b) && set.delete(d)).toBe(true);
    expect(set.size).toBe(0);
    set.add(a);
    expect(members(set)).toEqual([a]);
  });

  it('refuses to delete what is not a member, also a member of another ChurnSet', () => {
    const one = new ChurnSet<object>();
    const other = new ChurnSet<object>();
    const shared = {};
    other.add(shared);
    expect(one.delete(shared)).toBe(false);
    expect(one.delete({})).toBe(false);
    one.add(shared);
    expect(other.delete(shared)).toBe(true);
    expect(members(one)).toEqual([shared]);
    expect(members(other)).toEqual([]);
  });

  it('goes over every member present when iteration starts, though they leave meanwhile', () => {
    const set = new ChurnSet<object>();
    const all = Array.from({ length: 5 }, () => ({}));
    for (const member of all) set.add(member);
    const seen: object[] = [];
    for (const member of set) {
      seen.push(member);
      set.delete(member);
      set.add({});
    }
    expect(new Set(seen)).toEqual(new Set(all));
    expect(set.size).toBe(5);
    expect(all.some((member) => set.delete(member))).toBe(false);
  });
});
