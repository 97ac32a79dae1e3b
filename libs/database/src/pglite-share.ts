import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { getPGliteInstance } from 'typeorm-pglite';
import { pgliteSession } from './pglite-session.js';

const shareFile = (dataDir: string) => `${dataDir}.share.json`;

/**
 * Serves the running server's embedded database on a loopback port with the Postgres wire protocol,
 * so the CLI (and psql) can use it while the server holds the data directory. A client's
 * transaction holds the session lock from its first statement to its end, so it never interleaves
 * with the server's own transactions. The port is written next to the data directory.
 */
export async function sharePGliteOnLoopback(dataDir: string): Promise<() => Promise<void>> {
  const db = (await getPGliteInstance()) as unknown as PGlite;
  let held: (() => void) | undefined;
  const releaseWhenIdle = () => {
    if (held && !db.isInTransaction()) {
      held();
      held = undefined;
    }
  };
  // PGlite keeps state in #private fields, so every other member is called on the real instance.
  const shared = new Proxy(db, {
    get(target, property) {
      if (property === 'runExclusive') {
        return async <T>(work: () => Promise<T>): Promise<T> => {
          held ??= await pgliteSession.acquire();
          try {
            return await target.runExclusive(work);
          } finally {
            releaseWhenIdle();
          }
        };
      }
      if (property === 'exec') {
        // The socket server's ROLLBACK for a client that left mid-transaction.
        return async (...args: Parameters<PGlite['exec']>) => {
          try {
            return await target.exec(...args);
          } finally {
            releaseWhenIdle();
          }
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const socketServer = new PGLiteSocketServer({ db: shared, host: '127.0.0.1', port: 0 });
  await socketServer.start();
  const port = ((socketServer as unknown as { server: Server }).server.address() as AddressInfo).port;
  writeFileSync(shareFile(dataDir), JSON.stringify({ pid: process.pid, port }));
  return async () => {
    await socketServer.stop();
    rmSync(shareFile(dataDir), { force: true });
  };
}

/** The loopback URL of the running server's shared embedded database, if it has one. */
export function sharedPGliteUrl(dataDir: string): string | undefined {
  try {
    const { pid, port } = JSON.parse(readFileSync(shareFile(dataDir), 'utf8')) as { pid: number; port: number };
    process.kill(pid, 0);
    return `postgres://postgres@127.0.0.1:${port}/postgres`;
  } catch {
    return undefined;
  }
}
