import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from './app-config.js';

/** Which backends a process uses, as one short phrase (no credentials). */
export function backendsOf(config: AppConfig): string {
  const { database, redis } = config;
  const databaseText =
    database.kind === 'postgres' ? `Postgres at ${hostAndPath(database.url)}` : `the embedded database in ${database.dataDir ?? 'memory'}`;
  const storeText =
    redis.kind === 'redis'
      ? 'url' in redis.target
        ? `Redis at ${hostAndPath(redis.target.url)}`
        : 'a Redis Cluster'
      : 'the in-process store';
  return `${databaseText} and ${storeText}`;
}

const recordFile = (config: AppConfig) => join(config.dataDir, 'server.json');

/**
 * A running server notes in DATA_DIR which backends it uses, so that a CLI started beside it
 * without the same DATABASE_URL / REDIS_URL can refuse instead of quietly using others. Removed
 * when the process exits.
 */
export function recordRunningServer(config: AppConfig): void {
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(recordFile(config), JSON.stringify({ pid: process.pid, backends: backendsOf(config) }));
  process.once('exit', () => {
    if (readRecord(config)?.pid === process.pid) rmSync(recordFile(config), { force: true });
  });
}

/** The backends of a live server started from this DATA_DIR, when they are not this process's. */
export function otherServersBackends(config: AppConfig): { pid: number; backends: string } | undefined {
  const record = readRecord(config);
  if (!record || record.pid === process.pid || !isProcessAlive(record.pid) || record.backends === backendsOf(config)) return undefined;
  return record;
}

function readRecord(config: AppConfig): { pid: number; backends: string } | undefined {
  try {
    return JSON.parse(readFileSync(recordFile(config), 'utf8')) as { pid: number; backends: string };
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function hostAndPath(url: string): string {
  const parsed = new URL(url);
  return `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}
