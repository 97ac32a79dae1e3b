import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { ClientContext } from '#auth-tokens';

/** User agent and address of the caller, stored with the session for operators. */
export const Client = createParamDecorator((_: unknown, context: ExecutionContext): ClientContext => {
  const request = context.switchToHttp().getRequest<Request>();
  return { userAgent: request.get('user-agent'), ip: request.ip };
});
