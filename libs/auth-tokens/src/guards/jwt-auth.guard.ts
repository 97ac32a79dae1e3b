import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { DomainError } from '#common';
import { AUTHENTICATE_IF_PRESENT, IS_PUBLIC } from '../decorators/public.decorator.js';

/** Global guard: every route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const targets = [context.getHandler(), context.getClass()];
    if (!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return super.canActivate(context);
    const carriesToken = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers.authorization !== undefined;
    return carriesToken && this.reflector.getAllAndOverride<boolean>(AUTHENTICATE_IF_PRESENT, targets) ? super.canActivate(context) : true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser, info: unknown): TUser {
    if (error) throw error;
    if (user) return user;
    const noToken = info instanceof Error && /no auth token/i.test(info.message);
    if (noToken) throw new DomainError('AUTH_REQUIRED', 'This endpoint needs an access token (Authorization: Bearer <token>).');
    throw new DomainError('TOKEN_INVALID', 'The token is invalid or expired.');
  }
}
