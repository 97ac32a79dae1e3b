import { ExpressLoader } from '@adminjs/nestjs';
import { Database, Resource } from '@adminjs/typeorm';
import type { AbstractHttpAdapter } from '@nestjs/core';
import AdminJS from 'adminjs';
import type { RequestHandler } from 'express';
import { BaseEntity, type DataSource } from 'typeorm';
import type { AppConfig } from '#config';
import type { RedisConnection } from '#redis';
import type { SigningKeysService } from '#signing-keys';
import type { WebhooksService } from '#webhooks';
import type { AccountsService } from '#accounts';
import type { AdminAuthService } from './admin-auth.service.js';
import { ADMIN_ROOT } from './admin-mount.js';
import { formidableOptions } from './admin-request-guards.js';
import { adminResources, assertStillAdmin } from './admin-resources.js';
import { Components, componentLoader } from './component-loader.js';
import type { DashboardService } from './dashboard.service.js';
import { adminSessionStore } from './session-store.js';

AdminJS.registerAdapter({ Database, Resource });

// @adminjs/express calls initialize() in production, which bundles the front end with rollup;
// `npm run build` bundles once (scripts/bundle-admin.mjs, into .adminjs/ under the working
// directory), so the server never bundles and a read-only container works.
AdminJS.prototype.watch = async () => undefined;
AdminJS.prototype.initialize = async () => undefined;

export interface AdminPanelDeps {
  config: AppConfig;
  dataSource: DataSource;
  accounts: AccountsService;
  auth: AdminAuthService;
  dashboard: DashboardService;
  keys: SigningKeysService;
  webhooks: WebhooksService;
  redis: RedisConnection | null;
}

/**
 * AdminJS over the same entities, and its router built by @adminjs/nestjs's ExpressLoader (with
 * @adminjs/express): sign-in goes through AdminAuthService; sessions live in Redis (or the
 * in-process store on the embedded default). This module and AdminJS load on the first /admin
 * request (admin-mount.ts), not at start-up.
 */
export async function buildAdminRouter({
  config,
  dataSource,
  accounts,
  auth,
  dashboard,
  keys,
  webhooks,
  redis,
}: AdminPanelDeps): Promise<RequestHandler> {
  // @adminjs/typeorm reads entities through BaseEntity's static repository.
  BaseEntity.useDataSource(dataSource);
  const cookieName = 'otp_admin';
  const admin = new AdminJS({
    rootPath: ADMIN_ROOT,
    componentLoader,
    dashboard: {
      component: Components.Dashboard,
      handler: async (_request: unknown, _response: unknown, context: { currentAdmin?: { id?: unknown } }) => {
        await assertStillAdmin(auth, context.currentAdmin);
        return dashboard.overview();
      },
    },
    resources: adminResources(accounts, auth, keys, webhooks),
    branding: { companyName: 'OTP authentication service', logo: false, withMadeWithLove: false, favicon: '/favicon.ico' },
    locale: {
      language: 'en',
      translations: {
        en: {
          messages: { tooManyRequests: 'Too many failed sign-ins; try again later.' },
          // Navigation and page titles name what a page lists.
          labels: {
            User: 'Users',
            Sessions: 'Sessions',
            AuditLog: 'Audit log',
            SigningKeys: 'Signing keys',
            Webhooks: 'Webhook endpoints',
            WebhookDeliveries: 'Webhook deliveries',
          },
          // Page titles say what the page shows, not the action's name ("List", "Show").
          resources: {
            User: { actions: { list: 'Users', show: 'Account', edit: 'Edit account', new: 'New account' } },
            Sessions: { actions: { list: 'Sessions', show: 'Session' } },
            AuditLog: { actions: { list: 'Audit log', show: 'Audit event' } },
            SigningKeys: { actions: { list: 'Signing keys', show: 'Signing key' } },
            Webhooks: { actions: { list: 'Webhook endpoints', show: 'Webhook endpoint' } },
            WebhookDeliveries: { actions: { list: 'Webhook deliveries', show: 'Webhook delivery' } },
          },
          components: {
            Login: {
              welcomeHeader: 'OTP authentication service',
              welcomeMessage: 'Operators sign in here. Give an account a password with: npx otp-auth set-password <username> --admin',
              properties: { email: 'Username or email', password: 'Password' },
            },
          },
        },
      },
    },
  });
  // The loader mounts the router on what getInstance() returns; take it from there instead, since
  // the admin layer is already in place (admin-mount.ts).
  let router: RequestHandler | undefined;
  const capture = {
    getInstance: () => ({ use: (_path: string, handler: RequestHandler) => (router = handler) }),
  } as unknown as AbstractHttpAdapter;
  await new ExpressLoader().register(admin, capture, {
    adminJsOptions: admin.options,
    formidableOptions: formidableOptions(config.http.bodyLimitBytes),
    auth: {
      authenticate: (login: string, password: string, context?: { req?: { ip?: string } }) =>
        auth.signIn(login, password, context?.req?.ip),
      cookieName,
      cookiePassword: config.admin.sessionSecret,
    },
    sessionOptions: {
      name: cookieName,
      secret: config.admin.sessionSecret,
      store: await adminSessionStore(redis, config.admin.sessionTtlSeconds),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      // Strict: a link or navigation from another site arrives signed out (admin-request-guards.ts).
      cookie: {
        httpOnly: true,
        sameSite: 'strict',
        secure: config.isProduction,
        maxAge: config.admin.sessionTtlSeconds * 1000,
        path: ADMIN_ROOT,
      },
    },
  });
  if (!router) throw new Error('@adminjs/nestjs ExpressLoader mounted no router');
  return router;
}
