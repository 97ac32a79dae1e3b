import { QueryFailedError } from 'typeorm';

// SQLSTATE classes that mean "the database could not serve this now", not "your request is wrong":
// 08 connection exception, 53 insufficient resources, 57 operator intervention (incl. 57014 timeout),
// 58 system error. https://www.postgresql.org/docs/current/errcodes-appendix.html
const UNAVAILABLE_SQLSTATE = /^(08|53|57|58)/;
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|Query read timeout|the database system is (starting up|shutting down)|terminating connection|Cannot use a pool after calling end/i;

/** True when an error thrown by TypeORM/pg means Postgres is unreachable or overloaded. */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Duck-typed: socket errors come from Node's own realm, where `instanceof Error` can be false.
  if (typeof error !== 'object' || error === null) return false;
  const driverError = error instanceof QueryFailedError ? (error.driverError as { code?: unknown }) : (error as { code?: unknown });
  const code = driverError?.code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE_CODES.has(code))) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message);
}

/** The Postgres unique-violation SQLSTATE, with the constraint that fired. */
export function uniqueViolation(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' ? (driverError.constraint ?? 'unknown') : undefined;
}

/** Postgres's undefined_table: the schema has not been migrated yet. */
export function isSchemaMissing(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '42P01';
}

// SQLSTATE class 22 (data exception): a value the request carried is malformed for its column,
// e.g. a path segment that is not a uuid (22P02). The request is wrong, not the server.
export function isMalformedValue(error: unknown): boolean {
  return error instanceof QueryFailedError && /^22/.test(String((error.driverError as { code?: string }).code));
}
