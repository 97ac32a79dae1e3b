import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ClientContext } from '#auth-tokens';
import { httpRequestOf } from '#common';

/** User agent and address of the caller, stored with the session for operators. */
export const Client = createParamDecorator((_: unknown, context: ExecutionContext): ClientContext => {
  const request = httpRequestOf<FastifyRequest>(context);
  return { userAgent: request.headers['user-agent'], ip: request.ip };
});
