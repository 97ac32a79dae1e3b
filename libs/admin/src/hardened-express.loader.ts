import { ExpressLoader } from '@adminjs/nestjs';
import { Injectable } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type AdminJS from 'adminjs';
import type { RequestHandler } from 'express';

type AdminModuleOptions = Parameters<ExpressLoader['register']>[2];
type Layer = { name: string };

/** Headers for the admin panel's pages; set by configureAdminHeaders before the app starts. */
let adminHeaders: RequestHandler | undefined;
export function configureAdminHeaders(headers: RequestHandler): void {
  adminHeaders = headers;
}

/**
 * @adminjs/nestjs's loader splices AdminJS's router in right after Express's own init layer, ahead
 * of everything the app registers, helmet included. This loader then puts the admin headers in
 * front of it, so the panel's pages get their security headers too.
 */
@Injectable()
export class HardenedExpressLoader extends ExpressLoader {
  override async register(admin: AdminJS, httpAdapter: AbstractHttpAdapter, options: AdminModuleOptions): Promise<void> {
    await super.register(admin, httpAdapter, options);
    if (!adminHeaders) return;
    const app = httpAdapter.getInstance();
    app.use(options.adminJsOptions.rootPath, adminHeaders);
    const stack: Layer[] = app.router.stack;
    const headersLayer = stack.pop()!;
    stack.splice(stack.findIndex((layer) => layer.name === 'admin'), 0, headersLayer);
  }
}
