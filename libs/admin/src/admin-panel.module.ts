import { AdminModule as AdminJsModule } from '@adminjs/nestjs';
import { Database, Resource } from '@adminjs/typeorm';
import { Module } from '@nestjs/common';
import AdminJS from 'adminjs';
import { BaseEntity, DataSource } from 'typeorm';
import { AuditModule } from '#audit';
import { AppConfig } from '#config';
import { RedisConnection } from '#redis';
import { UsersModule } from '#users';
import { AccountsModule } from './accounts.module.js';
import { AccountsService } from './accounts.service.js';
import { AdminAuthService } from './admin-auth.service.js';
import { adminResources } from './admin-resources.js';
import { SigningKeysService } from '#signing-keys';
import { WebhooksService } from '#webhooks';
import { HardenedExpressLoader } from './hardened-express.loader.js';
import { adminSessionStore } from './session-store.js';
import { Components, componentLoader } from './component-loader.js';
import { DashboardService } from './dashboard.service.js';

AdminJS.registerAdapter({ Database, Resource });

// @adminjs/nestjs calls watch() at every start, which outside production bundles the front end with
// rollup and keeps a file watcher; in production initialize() bundles instead. `npm run build`
// bundles once (scripts/bundle-admin.mjs, into .adminjs/ under the working directory), so the
// server never bundles: the first request does not wait, and a read-only container works.
AdminJS.prototype.watch = async () => undefined;
AdminJS.prototype.initialize = async () => undefined;

export const ADMIN_ROOT = '/admin';

@Module({
  imports: [AccountsModule, UsersModule, AuditModule],
  providers: [AdminAuthService, DashboardService],
  exports: [AdminAuthService, DashboardService, AccountsModule],
})
class AdminSupportModule {}

/**
 * AdminJS at /admin, in the API's process and port, over the same entities. Sign-in goes through
 * AdminAuthService; sessions live in Redis (or the in-process store on the embedded default).
 */
export const AdminPanelModule = AdminJsModule.createAdminAsync({
  imports: [AdminSupportModule],
  inject: [AppConfig, DataSource, AccountsService, AdminAuthService, DashboardService, SigningKeysService, WebhooksService, { token: RedisConnection, optional: true }],
  // The loader is picked when the module is compiled; name it so it does not fall back to a no-op.
  customLoader: HardenedExpressLoader,
  useFactory: (
    config: AppConfig,
    dataSource: DataSource,
    accounts: AccountsService,
    auth: AdminAuthService,
    dashboard: DashboardService,
    keys: SigningKeysService,
    webhooks: WebhooksService,
    redis: RedisConnection | null,
  ) => {
    // @adminjs/typeorm reads entities through BaseEntity's static repository.
    BaseEntity.useDataSource(dataSource);
    const cookieName = 'otp_admin';
    return {
      adminJsOptions: {
        rootPath: ADMIN_ROOT,
        componentLoader,
        dashboard: {
          component: Components.Dashboard,
          handler: async (_request: unknown, _response: unknown, context: { currentAdmin?: { id?: unknown } }) => {
            await auth.assertStillAdmin(context.currentAdmin);
            return dashboard.overview();
          },
        },
        resources: adminResources(accounts, auth, keys, webhooks),
        branding: { companyName: 'OTP authentication service', logo: false, withMadeWithLove: false },
        locale: {
          language: 'en',
          translations: {
            en: {
              messages: { tooManyRequests: 'Too many failed sign-ins; try again later.' },
              components: {
                Login: {
                  welcomeHeader: 'OTP authentication service',
                  welcomeMessage: 'Operators sign in here. Give an account a password with: npm run cli -- set-password <username> --admin',
                  properties: { email: 'Username or email', password: 'Password' },
                },
              },
            },
          },
        },
      },
      auth: {
        authenticate: (login: string, password: string, context?: { req?: { ip?: string } }) => auth.signIn(login, password, context?.req?.ip),
        cookieName,
        cookiePassword: config.admin.sessionSecret,
      },
      sessionOptions: {
        name: cookieName,
        secret: config.admin.sessionSecret,
        store: adminSessionStore(redis ?? null, config.admin.sessionTtlSeconds),
        resave: false,
        saveUninitialized: false,
        rolling: true,
        cookie: { httpOnly: true, sameSite: 'lax', secure: config.isProduction, maxAge: config.admin.sessionTtlSeconds * 1000, path: ADMIN_ROOT },
      },
    };
  },
});
