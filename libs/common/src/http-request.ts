import type { ArgumentsHost } from '@nestjs/common';

// What `host.switchToHttp().getRequest()` / `.getResponse()` answer, without their cost: each
// switchToHttp() builds three closures and defines a name on each, and the guards, decorators and
// filter of one request asked for it several times (a few per cent of a /me request's CPU).

/** The HTTP request a guard, parameter decorator or exception filter runs for. */
export const httpRequestOf = <T>(host: ArgumentsHost): T => host.getArgByIndex<T>(0);

/** The reply (on Fastify) or response of that request. */
export const httpReplyOf = <T>(host: ArgumentsHost): T => host.getArgByIndex<T>(1);
