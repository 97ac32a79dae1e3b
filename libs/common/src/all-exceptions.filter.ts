import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DependencyUnavailableError, DomainError, errorBody, errorHeaders } from './domain-error.js';
import { isDatabaseUnavailable, isMalformedValue } from './dependency-errors.js';
import type { ErrorCode } from './error-codes.js';
import { httpReplyOf, httpRequestOf } from './http-request.js';

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

  /** `allowedMethods` names the methods a path's routes answer (for 405 instead of 404). */
  constructor(private readonly allowedMethods: (path: string) => string[] = () => []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = httpReplyOf<FastifyReply>(host);
    if (reply.sent) return;
    let error = toDomainError(exception);
    let allow: string[] = [];
    // Nest's NotFoundException here is the router's: no route for this method and path.
    if (exception instanceof NotFoundException) {
      allow = this.allowedMethods(httpRequestOf<FastifyRequest>(host).url.split('?')[0]);
      if (allow.length) error = new DomainError('METHOD_NOT_ALLOWED', `This route answers ${allow.join(', ')}.`);
    }
    logFailure(this.logger, exception, error);
    // Content-Type set explicitly: the reply keeps one the route declared for success (the dev outbox's text/plain).
    void reply
      .code(error.status)
      .headers({ ...errorHeaders(error), ...(allow.length ? { allow: allow.join(', ') } : {}) })
      .send(errorBody(error));
  }
}

/** Logs what a request failed with: an outage in one line, a bug (any 500) with its stack. */
export function logFailure(logger: Logger, exception: unknown, error: DomainError): void {
  // An outage is expected operations, not a bug: one line, no stack.
  if (error instanceof DependencyUnavailableError) logger.warn(`${error.code}: ${describe(error.cause ?? exception)}`);
  else if (error.status >= 500) logger.error(`${error.code}: ${(exception as Error)?.stack ?? describe(exception)}`);
}

/** Anything thrown while serving a request (by the code, Nest, Fastify, the admin panel) as one of the closed set of errors. */
export function toDomainError(exception: unknown): DomainError {
  if (exception instanceof DomainError) return exception;
  if (isDatabaseUnavailable(exception)) return new DependencyUnavailableError('database', exception);
  if (isMalformedValue(exception)) return new DomainError('VALIDATION_FAILED', 'A value in the request is not in the right format.');
  if (exception instanceof HttpException) return fromHttpException(exception);
  // AdminJS's own errors, from the admin panel's routes.
  const name = (exception as { name?: unknown })?.name;
  const message = String((exception as { message?: unknown })?.message ?? '');
  if (name === 'NotFoundError' || message.startsWith('There are no resources with given id'))
    return new DomainError('NOT_FOUND', 'No such record or resource.');
  if (name === 'ForbiddenError') return new DomainError('FORBIDDEN', 'You may not do that.');
  // Fastify's errors (body too large, unsupported media type, a bad URL) and the admin panel's
  // body parsers' carry a 4xx status rather than being HttpExceptions.
  const withStatus = exception as { statusCode?: unknown; status?: unknown; type?: string };
  const fromParser = bodyParserError(withStatus?.type);
  if (fromParser) return fromParser;
  const status = typeof withStatus?.statusCode === 'number' ? withStatus.statusCode : withStatus?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new DomainError(
      CODE_FOR_STATUS[status] ?? 'VALIDATION_FAILED',
      status === 413 ? 'The request body is too large.' : 'The request could not be read.',
    );
  }
  return new DomainError('INTERNAL_ERROR', 'Something went wrong on our side.');
}

function fromHttpException(exception: HttpException): DomainError {
  const status = exception.getStatus();
  const code = CODE_FOR_STATUS[status];
  if (!code) return new DomainError('INTERNAL_ERROR', 'Something went wrong on our side.');
  const message = status === 404 ? 'No such route.' : exception.message;
  return new DomainError(code, message);
}

const describe = (value: unknown): string => String((value as { message?: unknown })?.message ?? value);

/** The admin panel's body parsers' error types. */
function bodyParserError(type: string | undefined): DomainError | undefined {
  if (type === 'entity.parse.failed') return new DomainError('MALFORMED_JSON', 'The request body is not valid JSON.');
  if (type === 'entity.too.large') return new DomainError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
  return undefined;
}
