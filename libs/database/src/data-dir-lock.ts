import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isProcessAlive } from '#config';

export class DataDirInUseError extends Error {}

/**
 * PGlite allows one process per data directory, and a second one opening it would corrupt it.
 * Takes `<dataDir>.lock` (holding our pid) or throws DataDirInUseError naming the holder; a lock
 * left by a process that is gone is taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = `${dataDir}.lock`;
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number(readFileSync(file, 'utf8'));
    if (holder && holder !== process.pid && isProcessAlive(holder)) {
      throw new DataDirInUseError(
        `The embedded database ${dataDir} is in use by process ${holder} (a running server?). ` +
          'Stop it first, or set DATABASE_URL (and REDIS_URL) to use Postgres, which any number of processes can share.',
      );
    }
    writeFileSync(file, String(process.pid));
  }
  return () => {
    try {
      if (Number(readFileSync(file, 'utf8')) === process.pid) rmSync(file, { force: true });
    } catch (error) {
      // Released already (by another path of the same shutdown): nothing to do.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  };
}
