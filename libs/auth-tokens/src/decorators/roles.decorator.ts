import { SetMetadata } from '@nestjs/common';
import type { UserRole } from '#users';

export const ROLES = 'auth:roles';

/** Restricts a route to users holding one of the roles (checked by RolesGuard). */
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES, roles);
