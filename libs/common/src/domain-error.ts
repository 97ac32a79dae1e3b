import { STATUS_CODES, type ServerResponse } from 'node:http';
import { ErrorCodes, type ErrorCode } from './error-codes.js';
import type { ErrorResponseDto } from './error-response.dto.js';

/**
 * What services throw. It names a rule that was broken, not an HTTP status: the exception filter
 * turns the code into the status and the one error shape.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Seconds a client should wait before trying again (sent as Retry-After). */
    readonly retryAfterSeconds?: number,
    readonly details?: string[],
  ) {
    super(message);
  }

  get status(): number {
    return ErrorCodes[this.code];
  }
}

/** A backing server (Postgres or Redis) did not answer; the request can be retried later. */
export class DependencyUnavailableError extends DomainError {
  constructor(
    readonly dependency: 'database' | 'redis',
    cause?: unknown,
  ) {
    super(
      dependency === 'database' ? 'DATABASE_UNAVAILABLE' : 'REDIS_UNAVAILABLE',
      `${dependency === 'database' ? 'The database' : 'Redis'} is unavailable; try again shortly.`,
      2,
    );
    this.cause = cause;
  }
}

/**
 * The one error shape, for a DomainError; also written by the handlers that run outside Nest's
 * routes (the metrics port, the admin panel's mount). Free of Nest, so those stay light to load.
 */
export function errorBody(error: DomainError): ErrorResponseDto {
  return {
    statusCode: error.status,
    error: STATUS_CODES[error.status] ?? 'Error',
    message: error.message,
    code: error.code,
    ...(error.details?.length ? { details: error.details } : {}),
  };
}

/** The headers of an error answer: JSON, and Retry-After (whole seconds, at least 1) when the error names a wait. */
export function errorHeaders(error: DomainError): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  return headers;
}

/** The one error shape on a bare node:http response (the metrics port, the admin panel's Express app). */
export function sendError(res: ServerResponse, error: DomainError): void {
  res.writeHead(error.status, errorHeaders(error)).end(JSON.stringify(errorBody(error)));
}
