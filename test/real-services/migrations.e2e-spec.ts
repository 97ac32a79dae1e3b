import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { loadConfig } from '#config';
import { buildDataSourceOptions, runMigrationsExclusively } from '#database';
import { entities } from '../../apps/api/src/entities.js';

// N instances starting at once against an empty database: each runs its migrations on start-up.
describe('migrations on a fresh Postgres database', () => {
  const adminUrl = new URL(process.env.DATABASE_URL!);
  const database = `otp_migrate_${randomBytes(4).toString('hex')}`;
  const admin = new DataSource({ type: 'postgres', url: adminUrl.href });
  const url = Object.assign(new URL(adminUrl.href), { pathname: `/${database}` }).href;
  let instances: DataSource[] = [];

  beforeAll(async () => {
    const options = await buildDataSourceOptions(loadConfig({ ...process.env, DATABASE_URL: url }), entities);
    instances = Array.from({ length: 4 }, () => new DataSource({ ...options, migrationsRun: false }));
    await admin.initialize();
    await admin.query(`CREATE DATABASE ${database}`);
    await Promise.all(instances.map((instance) => instance.initialize()));
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.isInitialized && instance.destroy()));
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.destroy();
  });

  it('are applied once when four instances migrate at the same moment, and the others wait for them', async () => {
    const applied = await Promise.all(instances.map((instance) => runMigrationsExclusively(instance)));
    const counts = applied.map((list) => list.length).sort();
    expect(counts).toEqual([0, 0, 0, instances[0].migrations.length]);
    const [{ count }] = await instances[0].query('SELECT count(*)::int AS count FROM migrations');
    expect(count).toBe(instances[0].migrations.length);
    expect(await instances[1].query(`SELECT to_regclass('users') IS NOT NULL AS present`)).toEqual([{ present: true }]);
  });
});
