import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError, httpRequestOf } from '#common';
import type { User, UserRole } from '#users';
import { ROLES } from '../decorators/roles.decorator.js';

/** Global guard, after JwtAuthGuard: enforces @Roles(...) where a route declares it. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, [context.getHandler(), context.getClass()]);
    if (!roles?.length) return true;
    const user = httpRequestOf<{ user?: User }>(context).user;
    if (user && roles.includes(user.role)) return true;
    throw new DomainError('FORBIDDEN', 'Your role does not allow this.');
  }
}
