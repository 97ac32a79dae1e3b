import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { signUpThroughHttp } from '../support/admin-fixture.js';
import { startServers, type RunningServer } from '../support/cli.js';
import { newEmail } from '../support/factories.js';
import { startPgBouncer, type RunningPgBouncer } from '../support/pgbouncer.js';
import { describeRaces } from '../support/races.js';
import { signUp, logIn } from '../support/factories.js';
import { startTestApp } from '../support/test-app.js';

// Runs only when DATABASE_URL and REDIS_URL name real servers (see jest.config.mjs): the service
// through Debian's PgBouncer in transaction pooling mode, where consecutive statements of one client
// may run on different server connections, so nothing may rely on session state.
describe('Postgres through PgBouncer (transaction pooling)', () => {
  let bouncer: RunningPgBouncer;
  beforeAll(async () => {
    bouncer = await startPgBouncer(process.env.DATABASE_URL!, { poolSize: 4 });
  });
  afterAll(() => bouncer?.stop());
  // PgBouncer 1.18 does not track prepared statements across its server connections (docs/operations.md).
  const throughBouncer = (databaseUrl: string) => ({ DATABASE_URL: bouncer.url(databaseUrl), DB_PREPARED_STATEMENTS: 'false' });

  it('runs the seed flow through it', async () => {
    const t = await startTestApp(throughBouncer(process.env.DATABASE_URL!));
    try {
      const user = await signUp(t);
      const tokens = await logIn(t, user.identifier);
      await t.http().get('/api/auth/me').set('Authorization', `Bearer ${tokens.access}`).expect(200);
      await t.http().post('/api/auth/token/refresh').send({ refresh: tokens.refresh }).expect(200);
    } finally {
      await t.close();
    }
  });

  it('migrates an empty database once when two instances start together through it, and restarts cleanly', async () => {
    const name = `otp_bouncer_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const direct = new URL(process.env.DATABASE_URL!);
    direct.pathname = `/${name}`;
    const env = {
      ...throughBouncer(direct.toString()),
      REDIS_URL: process.env.REDIS_URL,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'otp-bouncer-')),
    };
    let servers: RunningServer[] = [];
    try {
      for (let start = 0; start < 2; start++) {
        servers = await startServers(env, [18651, 18652]);
        for (const server of servers) expect((await fetch(`${server.base}/health/ready`)).status).toBe(200);
        const identifier = newEmail();
        await signUpThroughHttp(servers[start % 2].base, identifier, `b_${randomBytes(4).toString('hex')}`);
        await Promise.all(servers.map((server) => server.stop()));
      }
      const check = new pg.Client({ connectionString: direct.toString() });
      await check.connect();
      const { rows } = await check.query('SELECT count(*)::int AS applied, count(DISTINCT name)::int AS distinct_names FROM migrations');
      const users = await check.query('SELECT count(*)::int AS count FROM users');
      await check.end();
      expect(rows[0].applied).toBe(rows[0].distinct_names);
      expect(rows[0].applied).toBeGreaterThanOrEqual(4);
      expect(users.rows[0].count).toBe(2);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  describeRaces('races through PgBouncer', () => startTestApp(throughBouncer(process.env.DATABASE_URL!)));
});
