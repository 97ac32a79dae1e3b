import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Express, NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { ADMIN_ROOT, configureAdminHeaders } from '#admin';
import { AllExceptionsFilter, DomainError, ROOT_LOGGER, createValidationPipe, errorBody, requestIdMiddleware, requestLogMiddleware } from '#common';
import { AppConfig } from '#config';
import { Metrics, httpMetrics, metricsHandler } from '#metrics';

/**
 * After init, behind every route: Nest answers unknown paths under /api itself, and this gives the
 * rest (`/nothing-here`) the same JSON error shape instead of Express's HTML page.
 */
export function answerUnknownRoutes(app: NestExpressApplication): void {
  (app.getHttpAdapter().getInstance() as Express).use((_req: Request, res: Response) => {
    res.status(404).json(errorBody(new DomainError('NOT_FOUND', 'No such route.')));
  });
}

/**
 * Everything about the HTTP pipeline, in one place so the server and the e2e tests run the same
 * one: request ids, metrics, body limit, security headers, CORS, validation, the error filter and Swagger.
 */
export function configureApp(app: NestExpressApplication): void {
  const config = app.get(AppConfig);
  app.set('trust proxy', config.http.trustProxy);
  app.use(requestIdMiddleware);
  app.use(requestLogMiddleware(app.get(ROOT_LOGGER)));
  if (config.metrics.enabled) {
    const metrics = app.get(Metrics);
    app.use(httpMetrics(metrics));
    // On the API's port unless METRICS_PORT gives it one of its own (then it is 404 here).
    if (config.metrics.port === undefined) {
      const serveMetrics = metricsHandler(metrics, config.metrics.token);
      (app.getHttpAdapter().getInstance() as Express).get('/metrics', (req: Request, res: Response) => serveMetrics(req, res));
    }
  }
  app.useBodyParser('json', { limit: config.http.bodyLimit });
  // AdminJS's pages need inline scripts and styles; everything else gets helmet's strict defaults.
  // Styles and fonts stay same-origin: AdminJS's templates link a Google font, which the browser
  // then never fetches (system fonts are used).
  const apiHeaders = helmet();
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
  app.use((req: Request, res: Response, next: NextFunction) => (req.path.startsWith(ADMIN_ROOT) ? adminHeaders : apiHeaders)(req, res, next));
  // AdminJS's router runs ahead of the line above; its loader puts these headers in front of it.
  configureAdminHeaders(adminHeaders);
  app.disable('x-powered-by');
  if (config.http.corsOrigins.length) app.enableCors({ origin: config.http.corsOrigins, credentials: false });
  app.setGlobalPrefix('api', { exclude: ['health', 'health/ready', '.well-known/jwks.json'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());

  // Built on the first request for it, not at every start-up.
  const document = () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('OTP authentication service')
        .setDescription('Passwordless sign-up and sign-in with one-time codes and JWTs. Errors share one shape: {statusCode, error, message, code}.')
        .setVersion('0.1.0')
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
        .build(),
    );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });
}
