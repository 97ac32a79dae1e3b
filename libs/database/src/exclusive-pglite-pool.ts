import { PGliteDriver } from 'typeorm-pglite';
import { pgliteSession } from './pglite-session.js';

type Release = () => void;
type ConnectCallback = (error: Error | null, client: unknown, release: Release) => void;

/**
 * typeorm-pglite's pool hands PGlite's one session to every caller at once: two concurrent
 * transactions would interleave, and one's ROLLBACK or COMMIT would land on the other's work. This
 * pool lends the session to one checkout at a time (TypeORM holds a checkout for a whole
 * transaction), under the lock the loopback socket's clients take too.
 */
export function exclusivePGliteDriver(dataDir: string | undefined): { Pool: new () => unknown } {
  const BasePool = new PGliteDriver({ dataDir }).driver.Pool as unknown as new () => {
    connect(callback: ConnectCallback): Promise<void>;
  };

  class ExclusivePool extends BasePool {
    override async connect(callback: ConnectCallback): Promise<void> {
      const releaseSession = await pgliteSession.acquire();
      await super.connect((error, client, done) => {
        const release = () => {
          done();
          releaseSession();
        };
        if (error) release();
        callback(error, client, release);
      });
    }
  }

  return { Pool: ExclusivePool };
}
