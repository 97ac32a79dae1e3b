import { ExpressLoader } from '@adminjs/nestjs';
import { Injectable } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { resolve } from 'node:path';
import type AdminJS from 'adminjs';
import type { Request, RequestHandler, Response } from 'express';

type AdminModuleOptions = Parameters<ExpressLoader['register']>[2];
type Layer = { name: string };

/** Headers for the admin panel's pages; set by configureAdminHeaders before the app starts. */
let adminHeaders: RequestHandler | undefined;
export function configureAdminHeaders(headers: RequestHandler): void {
  adminHeaders = headers;
}

/** Where AdminJS (and scripts/bundle-admin.mjs) put the custom components' bundle. */
const COMPONENTS_BUNDLE = resolve(process.env.ADMIN_JS_TMP_DIR ?? '.adminjs', 'bundle.js');

/**
 * @adminjs/nestjs's loader splices AdminJS's router in right after Express's own init layer, ahead
 * of everything the app registers, helmet included. This loader then puts the admin headers in
 * front of it, so the panel's pages get their security headers too; and serves the components'
 * bundle itself: in production AdminJS serves it with res.sendFile from `.adminjs/`, which Express
 * 5 refuses (a dot directory), so the panel would load without its dashboard.
 */
@Injectable()
export class HardenedExpressLoader extends ExpressLoader {
  override async register(admin: AdminJS, httpAdapter: AbstractHttpAdapter, options: AdminModuleOptions): Promise<void> {
    await super.register(admin, httpAdapter, options);
    if (!adminHeaders) return;
    const app = httpAdapter.getInstance();
    app.get(`${options.adminJsOptions.rootPath}/frontend/assets/components.bundle.js`, (_req: Request, res: Response) =>
      res.sendFile(COMPONENTS_BUNDLE, { dotfiles: 'allow', maxAge: '1h' }),
    );
    app.use(options.adminJsOptions.rootPath, adminHeaders);
    const stack: Layer[] = app.router.stack;
    const [bundleLayer, headersLayer] = stack.splice(-2, 2);
    stack.splice(stack.findIndex((layer) => layer.name === 'admin'), 0, headersLayer, bundleLayer);
  }
}
