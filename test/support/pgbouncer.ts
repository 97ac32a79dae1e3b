import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './cli.js';

export interface RunningPgBouncer {
  /** DATABASE_URL with host and port replaced by PgBouncer's. */
  url(databaseUrl: string): string;
  stop(): Promise<void>;
}

/**
 * Debian's pgbouncer in transaction pooling mode on a free loopback port, in front of the Postgres
 * that `databaseUrl` names (trust auth, any database name passed through). It refuses to run as
 * root, so it runs as the postgres user then, from a directory that user can write.
 */
export async function startPgBouncer(databaseUrl: string, options: { poolSize?: number } = {}): Promise<RunningPgBouncer> {
  const upstream = new URL(databaseUrl);
  const user = decodeURIComponent(upstream.username) || 'postgres';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'));
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, 'users.txt'), `"${user}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${upstream.hostname} port=${upstream.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 4}`,
      'max_client_conn = 500',
      // node-postgres sends the statement timeout as a startup parameter; PgBouncer 1.18 cannot
      // track it per client, so it is dropped here and the client's query_timeout bounds each query.
      'ignore_startup_parameters = statement_timeout',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      `unix_socket_dir = ${dir}`,
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  const started = spawnSync('pgbouncer', ['-d', ...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { encoding: 'utf8' });
  const log = () => {
    try {
      return readFileSync(join(dir, 'pgbouncer.log'), 'utf8').slice(-2000);
    } catch {
      return '';
    }
  };
  if (started.status !== 0) throw new Error(`pgbouncer did not start (${started.status}): ${started.stderr}${log()}`);
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) throw new Error(`pgbouncer is not listening on ${port}:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url(databaseUrl: string) {
      const through = new URL(databaseUrl);
      through.hostname = '127.0.0.1';
      through.port = String(port);
      return through.toString();
    },
    async stop() {
      try {
        const pid = Number(readFileSync(join(dir, 'pgbouncer.pid'), 'utf8'));
        process.kill(pid, 'SIGINT');
        for (let i = 0; i < 100; i++) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
