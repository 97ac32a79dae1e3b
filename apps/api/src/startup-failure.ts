import type { AppConfig } from '../../../libs/config/src/app-config.js';

/**
 * A start-up problem a person can fix, as the one line that names it and the fix; undefined for
 * anything else (a bug, which keeps its stack). Plain objects only: this runs in main.ts, before
 * or without the application's modules.
 */
export function startupFailureLine(error: unknown, config: AppConfig): string | undefined {
  const { code, message, address, port } = (error ?? {}) as { code?: unknown; message?: unknown; address?: unknown; port?: unknown };
  if (code === 'EADDRINUSE') {
    return `Port ${String(port ?? config.http.port)} on ${String(address ?? config.http.host)} is already in use (another server?): stop it, or start this one with another PORT.`;
  }
  if (code === 'EACCES' && message && String(message).includes('listen'))
    return `Not allowed to listen on port ${config.http.port}: pick a PORT above 1023, or run with the right to bind it.`;
  if (config.database.kind !== 'postgres') return undefined;
  const target = new URL(config.database.url);
  const database = decodeURIComponent(target.pathname.slice(1)) || 'postgres';
  const where = `${target.hostname}:${target.port || 5432}`;
  // SQLSTATE 3D000: invalid_catalog_name, the database named in DATABASE_URL does not exist.
  if (code === '3D000') {
    return `The database "${database}" does not exist on ${where}: create it (createdb -h ${target.hostname} -p ${target.port || 5432} -U ${decodeURIComponent(target.username) || 'postgres'} ${database}), or point DATABASE_URL at one that does.`;
  }
  if (code === '28P01' || code === '28000') return `Postgres at ${where} refused the user or password in DATABASE_URL.`;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return `Postgres at ${where} does not answer (${String(code)}): start it, or fix DATABASE_URL.`;
  }
  return undefined;
}
