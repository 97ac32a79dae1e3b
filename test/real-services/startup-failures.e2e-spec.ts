import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runServerToExit } from '../support/cli.js';

// Runs with DATABASE_URL and REDIS_URL set (jest.config.mjs): a real Postgres to be wrong about.
describe('a start against a Postgres it cannot use', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'otp-startfail-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const withDatabase = (mutate: (url: URL) => void) => {
    const url = new URL(process.env.DATABASE_URL!);
    mutate(url);
    return url.toString();
  };

  it('names a database that does not exist, and the command that creates it, in one line', async () => {
    const run = await runServerToExit({
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      REDIS_URL: process.env.REDIS_URL,
      DATABASE_URL: withDatabase((url) => (url.pathname = '/no_such_database_here')),
    });
    expect(run.code).toBe(1);
    const { hostname, port } = new URL(process.env.DATABASE_URL!);
    expect(run.stderr.trim()).toBe(
      `The database "no_such_database_here" does not exist on ${hostname}:${port || 5432}: create it (createdb -h ${hostname} -p ${port || 5432} -U postgres no_such_database_here), or point DATABASE_URL at one that does.`,
    );
    expect(run.stdout).not.toMatch(/\n\s+at |postinit\.c|ExceptionHandler/);
  });

  it('names a Postgres that does not answer in one line', async () => {
    const closed = await freePort();
    const run = await runServerToExit({
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      REDIS_URL: process.env.REDIS_URL,
      DATABASE_URL: withDatabase((url) => (url.port = String(closed))),
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`Postgres at 127.0.0.1:${closed} does not answer (ECONNREFUSED): start it, or fix DATABASE_URL.`);
  });
});
