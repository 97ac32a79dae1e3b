import { Logger } from '@nestjs/common';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { DomainError, logFailure, sendError, toDomainError } from '#common';
import { ADMIN_ROOT, loadedOnFirstUse, panelUnavailable } from './admin-mount.js';
import { boundedBodies, sameOriginOnly } from './admin-request-guards.js';

/** Where AdminJS (and scripts/bundle-admin.mjs) put the custom components' bundle. */
const COMPONENTS_BUNDLE = resolve(process.env.ADMIN_JS_TMP_DIR ?? '.adminjs', 'bundle.js');

// AdminJS's pages need inline scripts and styles; the API gets helmet's strict defaults. Styles and
// fonts stay same-origin (system fonts are used).
const adminHeaders = helmet({
  contentSecurityPolicy: {
    directives: {
      'script-src': ["'self'", "'unsafe-inline'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'font-src': ["'self'", 'data:'],
      'img-src': ["'self'", 'data:'],
    },
  },
});

// AdminJS's page templates link a Google font on every page, which the CSP refuses (and the
// browser reports as an error in the console); the pages go out without the link.
const REMOTE_FONT_LINK = /<link rel="stylesheet" href="https:\/\/fonts\.googleapis\.com\/[^"]*" type="text\/css">/g;

function withoutRemoteFonts(_req: Request, res: Response, next: NextFunction): void {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => send(typeof body === 'string' ? body.replace(REMOTE_FONT_LINK, '') : body);
  next();
}

/**
 * AdminJS's own front-end files in their production build whatever NODE_ENV says (AdminJS serves the
 * development build outside production): that build, 5 to 10 MB a file, loads @emotion/react twice
 * and turns on i18next's debug output, a console warning on every page and nothing an operator or a
 * component author needs. Paths as AdminJS itself resolves them.
 */
function productionFrontEnd(): [file: string, path: string][] {
  const fromHere = createRequire(import.meta.url);
  const adminjs = fromHere.resolve('adminjs');
  const assets = join(dirname(adminjs), 'lib/frontend/assets/scripts');
  const designSystem = dirname(createRequire(adminjs).resolve('@adminjs/design-system'));
  return [
    ['app.bundle.js', join(assets, 'app-bundle.production.js')],
    ['global.bundle.js', join(assets, 'global-bundle.production.js')],
    ['design-system.bundle.js', join(designSystem, '../bundle.production.js')],
  ];
}

/**
 * The admin panel as an Express app of its own, since AdminJS's router (@adminjs/nestjs's
 * ExpressLoader, @adminjs/express) is Express's. This app loads on the first /admin request
 * (admin-mount.ts), and AdminJS behind it on the first request that passes its guards. In order:
 * the admin headers; the body bound and the same-origin check, before anything reads a body or a
 * session; the components' bundle, served here because AdminJS serves it with res.sendFile from
 * `.adminjs/`, which Express 5 refuses (a dot directory), and AdminJS's production front-end; the
 * panel; the one error shape for what is left.
 */
export function adminApp(
  trustProxy: (address: string, hop: number) => boolean,
  bodyLimitBytes: number,
  loadRouter: () => Promise<RequestHandler>,
): Express {
  const logger = new Logger('AdminPanel');
  const app = express();
  app.set('trust proxy', trustProxy);
  app.disable('x-powered-by');
  app.use(ADMIN_ROOT, adminHeaders, boundedBodies(bodyLimitBytes), sameOriginOnly, withoutRemoteFonts);
  app.get(`${ADMIN_ROOT}/frontend/assets/components.bundle.js`, (_req: Request, res: Response) =>
    res.sendFile(COMPONENTS_BUNDLE, { dotfiles: 'allow', maxAge: '1h' }),
  );
  for (const [file, path] of productionFrontEnd()) {
    app.get(`${ADMIN_ROOT}/frontend/assets/${file}`, (_req: Request, res: Response) => res.sendFile(path, { maxAge: '1h' }));
  }
  const router = loadedOnFirstUse(loadRouter);
  app.use(ADMIN_ROOT, function admin(req: Request, res: Response, next: NextFunction) {
    router().then(
      (handle) => handle(req, res, next),
      (error: unknown) => panelUnavailable(logger, res, error),
    );
  });
  app.use((_req: Request, res: Response) => sendError(res, new DomainError('NOT_FOUND', 'No such route.')));
  app.use((exception: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const error = toDomainError(exception);
    logFailure(logger, exception, error);
    if (res.headersSent) return void res.destroy();
    sendError(res, error);
  });
  return app;
}
