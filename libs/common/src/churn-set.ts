/** A member seen as what holds its slot, under each ChurnSet's own key. */
type Slotted = Record<symbol, number | undefined>;

/**
 * A set for objects that join and leave all the time (every request, every Redis command): add and
 * delete are O(1) and allocate nothing once the set has grown, because each member holds its own
 * index under a key of this set's, and a delete moves the last member into the freed slot.
 *
 * Why not a `Set`: under load, a Set that had reached the old generation and kept churning kept
 * members that had left it alive through young-generation collections (reproduced in plain JS);
 * with the Sets of requests in flight and of Redis commands, about 5 KB of every request was
 * promoted and a full collection ran every few hundred ms (docs/benchmarks.md).
 * Iteration order is not kept.
 */
export class ChurnSet<T extends object> implements Iterable<T> {
  private readonly members: T[] = [];
  private readonly slot = Symbol('ChurnSet slot');

  get size(): number {
    return this.members.length;
  }

  add(member: T): void {
    if (this.slotOf(member) !== undefined) return;
    (member as Slotted)[this.slot] = this.members.length;
    this.members.push(member);
  }

  /** Whether it was a member. */
  delete(member: T): boolean {
    const slot = this.slotOf(member);
    if (slot === undefined) return false;
    const last = this.members.pop()!;
    if (last !== member) {
      this.members[slot] = last;
      (last as Slotted)[this.slot] = slot;
    }
    (member as Slotted)[this.slot] = undefined;
    return true;
  }

  /** Over a copy: members may leave (or join) while it runs. */
  [Symbol.iterator](): Iterator<T> {
    return [...this.members][Symbol.iterator]();
  }

  private slotOf(member: T): number | undefined {
    const slot = (member as Slotted)[this.slot];
    return slot !== undefined && this.members[slot] === member ? slot : undefined;
  }
}
