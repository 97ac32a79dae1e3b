import { Inject, Injectable, Module, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DataSource } from 'typeorm';
import { AccountsModule, AccountsService } from '#accounts';
import { AuditModule } from '#audit';
import { trustedProxy } from '#common';
import { AppConfig } from '#config';
import { RedisConnection } from '#redis';
import { SigningKeysService } from '#signing-keys';
import { UsersModule } from '#users';
import { WebhooksService } from '#webhooks';
import { AdminAuthService } from './admin-auth.service.js';
import { mountAdminPanel } from './admin-mount.js';
import { DashboardService } from './dashboard.service.js';

export { ADMIN_ROOT } from './admin-mount.js';

@Module({
  imports: [AccountsModule, UsersModule, AuditModule],
  providers: [AdminAuthService, DashboardService],
  exports: [AdminAuthService, DashboardService, AccountsModule],
})
class AdminSupportModule {}

/** Puts the panel's routes in place at start; AdminJS itself loads on the first /admin request. */
@Injectable()
class AdminPanelMount implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AccountsService) private readonly accounts: AccountsService,
    @Inject(AdminAuthService) private readonly auth: AdminAuthService,
    @Inject(DashboardService) private readonly dashboard: DashboardService,
    @Inject(SigningKeysService) private readonly keys: SigningKeysService,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
    @Optional() @Inject(RedisConnection) private readonly redis: RedisConnection | null,
  ) {}

  onModuleInit(): void {
    const { config, dataSource, accounts, auth, dashboard, keys, webhooks } = this;
    const loadRouter = async () => {
      const { buildAdminRouter } = await import('./admin-panel.runtime.js');
      return buildAdminRouter({ config, dataSource, accounts, auth, dashboard, keys, webhooks, redis: this.redis ?? null });
    };
    mountAdminPanel(this.host.httpAdapter.getInstance<FastifyInstance>(), async () => {
      const { adminApp } = await import('./admin-app.js');
      return adminApp(trustedProxy(config.http.trustProxy), config.http.bodyLimitBytes, loadRouter);
    });
  }
}

/**
 * AdminJS at /admin, in the API's process and port, over the same entities (admin-panel.runtime.ts).
 * @adminjs/nestjs's AdminModule would build AdminJS in onModuleInit, at every start; the panel keeps
 * its ExpressLoader but builds on first use instead (docs/admin.md).
 */
@Module({ imports: [AdminSupportModule], providers: [AdminPanelMount] })
export class AdminPanelModule {}
