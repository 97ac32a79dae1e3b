import type { EntityManager } from 'typeorm';

/**
 * Several writes to several tables sent as one statement: each owner (users, audit, webhooks,
 * sessions) adds its INSERT or UPDATE as a data-modifying CTE, and the whole runs in one round trip.
 * A single statement is atomic by itself, so it needs no BEGIN and COMMIT: every part commits, or
 * none does, and foreign keys between the parts are checked at its end. A sign-up was six round
 * trips (BEGIN, three writes and a look-up, COMMIT); it is one.
 *
 * Parts write with `INSERT … SELECT … WHERE ${write.condition}` so that, after {@link onlyIf}, they
 * write only if an earlier part produced a row (sign-in: only if the account was still active).
 */
export class AtomicWrite {
  private readonly parts: string[] = [];
  private readonly values: unknown[] = [];
  private readonly followUps: (() => void | Promise<void>)[] = [];
  private guard?: string;

  /** A placeholder for `value`, cast to `type`: INSERT … SELECT gives its parameters no type of their own. */
  value(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  /** Adds `name AS (sql)`; answers the name, which later parts and the final SELECT may read from. */
  add(sql: string, name = `part${this.parts.length + 1}`): string {
    this.parts.push(`${name} AS (${sql})`);
    return name;
  }

  /** From here on, parts write only if the part `name` produced a row. */
  onlyIf(name: string): void {
    this.guard = `EXISTS (SELECT 1 FROM ${name})`;
  }

  /** What a part puts in its WHERE: true, or the guard set by {@link onlyIf}. */
  get condition(): string {
    return this.guard ?? 'TRUE';
  }

  /**
   * Work for once the statement has run without error: a log line about what it wrote, say. (Not
   * `then`: that would make the write a thenable, which `await` would try to resolve.)
   */
  afterRun(work: () => void | Promise<void>): void {
    this.followUps.push(work);
  }

  /** Runs the parts and `select` (which reads their RETURNING rows) as one statement; answers its rows. */
  async run<T>(manager: EntityManager, select: string): Promise<T[]> {
    const rows = (await manager.query(`WITH ${this.parts.join(',\n')}\n${select}`, this.values)) as T[];
    for (const work of this.followUps) await work();
    return rows;
  }
}
