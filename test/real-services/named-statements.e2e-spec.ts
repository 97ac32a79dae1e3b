import { namedStatementClient } from '../../libs/database/src/named-statements.js';

// Real Postgres: what the server keeps per connection is read back from pg_prepared_statements.
describe('named prepared statements (DB_PREPARED_STATEMENTS)', () => {
  const clients: { end(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.end();
  });

  async function connect() {
    const Client = namedStatementClient();
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    clients.push(client);
    await client.connect();
    const prepared = async () =>
      (await client.query('SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time')).rows as {
        name: string;
        statement: string;
      }[];
    return { client, prepared };
  }

  it('parses a parameterised text once per connection and runs it again with new values', async () => {
    const { client, prepared } = await connect();
    const text = 'SELECT $1::int * 2 AS doubled';
    expect((await client.query(text, [21])).rows).toEqual([{ doubled: 42 }]);
    expect((await client.query(text, [5])).rows).toEqual([{ doubled: 10 }]);
    const statements = await prepared();
    expect(statements).toEqual([{ name: 'otp_1', statement: text }]);
  });

  it('leaves statements without parameters unnamed, and a failed statement does not poison the next run', async () => {
    const { client, prepared } = await connect();
    await client.query('SELECT 1');
    const text = 'SELECT 1 / $1::int AS quotient';
    await expect(client.query(text, [0])).rejects.toThrow(/division by zero/);
    expect((await client.query(text, [1])).rows).toEqual([{ quotient: 1 }]);
    await expect(client.query('SELEKT $1::int', [1])).rejects.toThrow(/syntax error/);
    await expect(client.query('SELEKT $1::int', [1])).rejects.toThrow(/syntax error/);
    expect((await prepared()).map((s) => s.statement)).toEqual([text]);
  });

  it('names at most 200 texts; the rest run unnamed and still answer', async () => {
    const { client, prepared } = await connect();
    for (let n = 0; n < 210; n++) expect((await client.query(`SELECT $1::int + ${n} AS sum`, [1])).rows).toEqual([{ sum: n + 1 }]);
    expect(await prepared()).toHaveLength(200);
  });
});
