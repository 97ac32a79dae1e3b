import { Module } from '@nestjs/common';
import { AccountsModule } from '#accounts';
import { AuditModule } from '#audit';
import { AdminSecurityController } from './admin-security.controller.js';
import { AdminUsersController } from './admin-users.controller.js';

/**
 * The admin REST API under /api/admin, for an admin's bearer token (the CLI's `admin-token`, or a
 * signed-in admin's access token): thin controllers over the services the CLI and the panel use.
 */
@Module({ imports: [AccountsModule, AuditModule], controllers: [AdminUsersController, AdminSecurityController] })
export class AdminApiModule {}
