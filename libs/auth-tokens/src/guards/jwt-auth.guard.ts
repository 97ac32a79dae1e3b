import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AUTHENTICATE_IF_PRESENT, DomainError, httpReplyOf, httpRequestOf, IS_PUBLIC } from '#common';

/** Global guard: every route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const targets = [context.getHandler(), context.getClass()];
    if (!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return super.canActivate(context);
    const carriesToken = httpRequestOf<{ headers: Record<string, unknown> }>(context).headers.authorization !== undefined;
    return carriesToken && this.isOptional(context) ? super.canActivate(context) : true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser, info: unknown, context: ExecutionContext): TUser {
    if (!error && user) return user;
    const noToken = info instanceof Error && /no auth token/i.test(info.message);
    const failure =
      error ??
      new DomainError(
        noToken ? 'AUTH_REQUIRED' : 'TOKEN_INVALID',
        noToken ? 'This endpoint needs an access token (Authorization: Bearer <token>).' : 'The token is invalid or expired.',
      );
    // A public route goes on as anonymous: a client that sends its expired token everywhere can still
    // ask for a sign-in code. The route learns why (@AuthFailure) for what does need the token.
    if (
      this.isOptional(context) &&
      failure instanceof DomainError &&
      (failure.code === 'TOKEN_INVALID' || failure.code === 'AUTH_REQUIRED')
    ) {
      httpRequestOf<{ authFailure?: DomainError }>(context).authFailure = failure;
      return undefined as TUser;
    }
    throw failure;
  }

  // AuthGuard's own go through switchToHttp(); the same objects without its cost (see httpRequestOf).
  override getRequest(context: ExecutionContext): unknown {
    return httpRequestOf(context);
  }

  /** AuthGuard calls it beside getRequest (its typings leave it out). */
  getResponse(context: ExecutionContext): unknown {
    return httpReplyOf(context);
  }

  private isOptional(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride<boolean>(AUTHENTICATE_IF_PRESENT, [context.getHandler(), context.getClass()]) === true;
  }
}
