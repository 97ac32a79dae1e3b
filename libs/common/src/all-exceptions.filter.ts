import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DependencyUnavailableError, DomainError, errorBody } from './domain-error.js';
import { isDatabaseUnavailable, isMalformedValue } from './dependency-errors.js';
import type { ErrorCode } from './error-codes.js';
import type { ErrorResponseDto } from './error-response.dto.js';

// What the HTTP layer (routing, body parsing) throws, mapped into the closed code set.
const CODE_FOR_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'AUTH_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * Turns anything thrown while serving a request into `{statusCode, error, message, code}`.
 * Unknown errors become a logged 500 with no detail in the body: no stack, no SQL.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    const error = this.toDomainError(exception);
    // An outage is expected operations, not a bug: one line, no stack.
    if (error instanceof DependencyUnavailableError) this.logger.warn(`${error.code}: ${describe(error.cause ?? exception)}`);
    else if (error.status >= 500) this.logger.error(`${error.code}: ${(exception as Error)?.stack ?? describe(exception)}`);
    if (error.retryAfterSeconds !== undefined) response.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
    // Set explicitly: res.json keeps a Content-Type the route declared for success (the dev outbox's text/plain).
    response.status(error.status).type('application/json').json(errorBody(error));
  }

  private toDomainError(exception: unknown): DomainError {
    if (exception instanceof DomainError) return exception;
    if (isDatabaseUnavailable(exception)) return new DependencyUnavailableError('database', exception);
    if (isMalformedValue(exception)) return new DomainError('VALIDATION_FAILED', 'A value in the request is not in the right format.');
    if (exception instanceof HttpException) return this.fromHttpException(exception);
    // AdminJS's own errors, from the admin panel's routes.
    const name = (exception as { name?: unknown })?.name;
    const message = String((exception as { message?: unknown })?.message ?? '');
    if (name === 'NotFoundError' || message.startsWith('There are no resources with given id')) return new DomainError('NOT_FOUND', 'No such record or resource.');
    if (name === 'ForbiddenError') return new DomainError('FORBIDDEN', 'You may not do that.');
    // body-parser's errors carry a status and a type rather than being HttpExceptions.
    const parserError = exception as { status?: number; type?: string };
    const fromParser = bodyParserError(parserError?.type);
    if (fromParser) return fromParser;
    if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      return new DomainError(CODE_FOR_STATUS[parserError.status] ?? 'VALIDATION_FAILED', 'The request could not be read.');
    }
    return new DomainError('INTERNAL_ERROR', 'Something went wrong on our side.');
  }

  private fromHttpException(exception: HttpException): DomainError {
    const status = exception.getStatus();
    const fromParser = bodyParserError(status === 413 ? 'entity.too.large' : (exception.cause as { type?: string } | undefined)?.type);
    if (fromParser) return fromParser;
    const code = CODE_FOR_STATUS[status];
    if (!code) return new DomainError('INTERNAL_ERROR', 'Something went wrong on our side.');
    const message = status === 404 ? 'No such route.' : exception.message;
    return new DomainError(code, message);
  }
}

const describe = (value: unknown): string => String((value as { message?: unknown })?.message ?? value);

/** body-parser's error types, however they arrive (raw, or wrapped as an HttpException's cause). */
function bodyParserError(type: string | undefined): DomainError | undefined {
  if (type === 'entity.parse.failed') return new DomainError('MALFORMED_JSON', 'The request body is not valid JSON.');
  if (type === 'entity.too.large') return new DomainError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
  return undefined;
}
