import type { IncomingMessage, ServerResponse } from 'node:http';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { AllExceptionsFilter, DomainError, ROOT_LOGGER, bindRequestContext, createValidationPipe, errorBody, errorHeaders, logRequests, requestIdGenerator, toDomainError, trustedProxy } from '#common';
import { AppConfig } from '#config';
import { Metrics, metricsHandler, recordHttpMetrics } from '#metrics';

/**
 * The HTTP server under Nest: Fastify, which serves this API's routes at several times Express's
 * rate (README: "Architecture"); the admin panel keeps an Express app of its own (#admin).
 */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  // One reading of TRUST_PROXY for the client address and for whose X-Request-Id is taken.
  const trusted = trustedProxy(config.http.trustProxy);
  return new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: trusted,
    genReqId: requestIdGenerator(trusted),
    // Fastify turns Node's limit on how long a request may take to arrive off; keep one (slowloris).
    requestTimeout: 30_000,
    // As Express routed: `/api/auth/me/` is `/api/auth/me`.
    routerOptions: { ignoreTrailingSlash: true },
    // What Fastify refuses before any route runs (a malformed URL), in the one error shape.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const domainError = toDomainError(error);
      void reply.code(domainError.status).headers(errorHeaders(domainError)).send(errorBody(domainError));
    },
  });
}

/**
 * Everything about the HTTP pipeline, in one place so the server and the e2e tests run the same
 * one: request ids, logs, metrics, JSON bodies, security headers, CORS, validation, the error filter
 * and Swagger. Body limit and trusted proxies are the server's options (createHttpAdapter).
 */
export function configureApp(app: NestFastifyApplication): void {
  const config = app.get(AppConfig);
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  bindRequestContext(fastify);
  logRequests(fastify, app.get(ROOT_LOGGER));
  if (config.metrics.enabled) {
    const metrics = app.get(Metrics);
    recordHttpMetrics(fastify, metrics);
    // On the API's port unless METRICS_PORT gives it one of its own (then it is 404 here).
    if (config.metrics.port === undefined) {
      const serveMetrics = metricsHandler(metrics, config.metrics.token);
      fastify.get('/metrics', (request, reply) => {
        reply.hijack();
        serveMetrics(request.raw, reply.raw);
      });
    }
  }
  refuseMalformedJson(fastify);
  // helmet's strict defaults, the same on every response, so worked out once. On the raw response:
  // the admin panel and /metrics answer on it themselves (and the panel sets its own policy).
  const securityHeaders = headersSetBy(helmet());
  fastify.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of securityHeaders) reply.raw.setHeader(name, value);
    done();
  });
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

/** JSON bodies parsed as Fastify parses them (prototype poisoning refused); what is not JSON is MALFORMED_JSON. */
function refuseMalformedJson(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, body as string, (error: Error | null, value?: unknown) => {
      if (error) done(new DomainError('MALFORMED_JSON', 'The request body is not valid JSON.'), undefined);
      else done(null, value);
    });
  });
}

/** The headers a helmet middleware sets: they depend on nothing in the request. */
function headersSetBy(middleware: (request: IncomingMessage, response: ServerResponse, next: () => void) => void): [string, string][] {
  const headers = new Map<string, string>();
  const recorder = { setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), String(value)), removeHeader: (name: string) => headers.delete(name.toLowerCase()) };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return [...headers];
}
