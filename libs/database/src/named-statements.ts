import pg from 'pg';

/** Texts given a name, per process; any further text runs unnamed, as every statement did before. */
const MAX_NAMED_STATEMENTS = 200;

/**
 * A pg Client that runs each parameterised statement as a named prepared statement: Postgres parses
 * and plans its text once per connection, and every later run sends only Bind and Execute. A
 * sign-in's one statement (AtomicWrite) is a data-modifying CTE of five parts: parsing and planning
 * it each time took a third of Postgres's CPU per sign-up + sign-in. Texts are few and fixed (the SQL is written in the code, values are always
 * parameters); the cap keeps a text built per call (an IN list of varying length) from filling
 * each connection with statements. Off behind a PgBouncer that does not track prepared statements
 * (DB_PREPARED_STATEMENTS=false).
 */
export function namedStatementClient(): typeof pg.Client {
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMED_STATEMENTS) {
      name = `otp_${names.size + 1}`;
      names.set(text, name);
    }
    return name;
  };
  return class NamedStatementClient extends pg.Client {
    // TypeORM calls query(text, values); anything else (a config object, a callback) passes through.
    override query(...args: unknown[]): never {
      const [text, values, ...rest] = args;
      if (typeof text === 'string' && Array.isArray(values) && values.length > 0) {
        const name = nameOf(text);
        if (name) return (super.query as (...a: unknown[]) => never)({ name, text, values }, ...rest);
      }
      return (super.query as (...a: unknown[]) => never)(...args);
    }
  };
}
