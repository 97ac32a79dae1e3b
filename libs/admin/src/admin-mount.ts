import { Logger } from '@nestjs/common';
import { resolve } from 'node:path';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { DomainError, errorBody } from '#common';

export const ADMIN_ROOT = '/admin';

/** Headers for the admin panel's pages; set by configureAdminHeaders before the app starts. */
let adminHeaders: RequestHandler | undefined;
export function configureAdminHeaders(headers: RequestHandler): void {
  adminHeaders = headers;
}

/** Where AdminJS (and scripts/bundle-admin.mjs) put the custom components' bundle. */
const COMPONENTS_BUNDLE = resolve(process.env.ADMIN_JS_TMP_DIR ?? '.adminjs', 'bundle.js');

type Layer = { name: string };

/**
 * Mounts the admin panel at /admin with AdminJS loaded on the first request to it: AdminJS and its
 * dependencies take about a second and 100 MB per process to load, which a start-up (and every
 * HTTP worker nobody opens the panel on) should not pay. Until then only this small handler exists.
 *
 * The layers go where @adminjs/nestjs's ExpressLoader puts its router, right after Express's own
 * init layer and ahead of everything the app registers (helmet, body parsing): first the admin
 * headers, then the components' bundle, served here because AdminJS serves it with res.sendFile
 * from `.adminjs/`, which Express 5 refuses (a dot directory), then the panel itself.
 */
export function mountAdminPanel(app: Express, loadRouter: () => Promise<RequestHandler>): void {
  const logger = new Logger('AdminPanel');
  let router: Promise<RequestHandler> | undefined;
  const layers = app.router.stack.length;
  if (adminHeaders) app.use(ADMIN_ROOT, adminHeaders);
  app.get(`${ADMIN_ROOT}/frontend/assets/components.bundle.js`, (_req: Request, res: Response) => res.sendFile(COMPONENTS_BUNDLE, { dotfiles: 'allow', maxAge: '1h' }));
  app.use(ADMIN_ROOT, function admin(req: Request, res: Response, next: NextFunction) {
    router ??= loadRouter().catch((error: unknown) => {
      // Not kept: the next request tries again.
      router = undefined;
      throw error;
    });
    router.then(
      (handle) => handle(req, res, next),
      (error: unknown) => {
        logger.error(`The admin panel failed to load: ${error instanceof Error ? error.stack : String(error)}`);
        res.status(503).set('Retry-After', '1').json(errorBody(new DomainError('ADMIN_PANEL_UNAVAILABLE', 'The admin panel could not be loaded; try again.')));
      },
    );
  });
  const stack: Layer[] = app.router.stack;
  const ours = stack.splice(layers);
  const afterInit = Math.max(stack.findIndex((layer) => layer.name === 'corsMiddleware'), stack.findIndex((layer) => layer.name === 'expressInit')) + 1;
  stack.splice(afterInit, 0, ...ours);
}
