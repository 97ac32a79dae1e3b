import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor } from '#audit';
import { httpRequestOf, type DomainError } from '#common';
import type { User } from '#users';

/** The user the access token belongs to, as loaded by JwtStrategy. */
export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext): User => httpRequestOf<{ user: User }>(context).user,
);

/** The session the access token was issued with; undefined for a token minted outside one (admin-token). */
export const CurrentSessionId = createParamDecorator(
  (_: unknown, context: ExecutionContext): string | undefined => httpRequestOf<{ sessionId?: string }>(context).sessionId,
);

/** The caller as the audit log names them: the token's user, through `via` (the data), from their address. */
export const Acting = createParamDecorator((via: 'api' | 'self', context: ExecutionContext): Actor => {
  const request = httpRequestOf<{ user?: User; ip?: string }>(context);
  return { userId: request.user?.id ?? null, via, ip: request.ip };
});

/** On an @AuthenticateIfPresent route without a user: AUTH_REQUIRED or TOKEN_INVALID, for what needs one. */
export const AuthFailure = createParamDecorator(
  (_: unknown, context: ExecutionContext): DomainError | undefined => httpRequestOf<{ authFailure?: DomainError }>(context).authFailure,
);
