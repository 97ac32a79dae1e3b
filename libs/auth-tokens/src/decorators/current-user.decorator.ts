import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { User } from '#users';

/** The user the access token belongs to, as loaded by JwtStrategy. */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): User => context.switchToHttp().getRequest().user);
