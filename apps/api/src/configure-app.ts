import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import {
  AllExceptionsFilter,
  DomainError,
  ROOT_LOGGER,
  bindRequestContext,
  createValidationPipe,
  errorBody,
  errorHeaders,
  logRequests,
  requestIdGenerator,
  toDomainError,
  trustedProxy,
} from '#common';
import { AppConfig } from '#config';
import { Metrics, metricsHandler, recordHttpMetrics } from '#metrics';

/**
 * The HTTP server under Nest: Fastify, which serves this API's routes at several times Express's
 * rate (docs/architecture.md); the admin panel keeps an Express app of its own (#admin).
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
    // What Node's HTTP parser refuses before Fastify sees a request (headers too large, not HTTP).
    clientErrorHandler: answerClientError,
  });
}

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new DomainError('HEADERS_TOO_LARGE', 'The request headers are too large.')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new DomainError('REQUEST_TIMEOUT', 'The request took too long to arrive.')
        : new DomainError('MALFORMED_REQUEST', 'The request is not valid HTTP.');
  const body = JSON.stringify(errorBody(refusal));
  const head = Object.entries({ ...errorHeaders(refusal), 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(
    ([name, value]) => `${name}: ${value}`,
  );
  socket.end(`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n${head.join('\r\n')}\r\n\r\n${body}`);
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
    for (let i = 0; i < securityHeaders.length; i++) reply.raw.setHeader(securityHeaders[i][0], securityHeaders[i][1]);
    done();
  });
  if (config.http.corsOrigins.length) app.enableCors({ origin: config.http.corsOrigins, credentials: false });
  app.setGlobalPrefix('api', { exclude: ['health', 'health/ready', '.well-known/jwks.json'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(allowedMethodsOf(fastify)));

  // Built on the first request for it, not at every start-up.
  const document = () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('OTP authentication service')
        .setDescription(
          'Passwordless sign-up and sign-in with one-time codes and JWTs. Errors share one shape: {statusCode, error, message, code}.',
        )
        .setVersion('0.1.0')
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
        .build(),
    );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });
  // Every browser page asks for it (Swagger UI, the admin panel): an icon, not a 404 in the logs.
  fastify.get('/favicon.ico', (_request, reply) =>
    reply.header('content-type', 'image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON),
  );
  // The front door: a browser goes to Swagger UI; anything else is told where things are.
  fastify.get('/', (request, reply) => {
    if (request.headers.accept?.includes('text/html')) return reply.redirect('/docs');
    return {
      service: 'otp-auth',
      docs: '/docs',
      openapi: '/docs-json',
      health: '/health',
      jwks: '/.well-known/jwks.json',
      admin: '/admin',
    };
  });
}

/** A key on a dark square: the service's icon in browser tabs. */
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f2a44"/>' +
  '<circle cx="12" cy="16" r="5" fill="none" stroke="#f5c542" stroke-width="3"/><path d="M17 16h10M23 16v4M26 16v3" stroke="#f5c542" stroke-width="3"/></svg>';

/** JSON bodies parsed as Fastify parses them (prototype poisoning refused); what is not JSON is MALFORMED_JSON. */
function refuseMalformedJson(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    // Deeper than any request of ours: class-transformer would recurse through it until the stack ran out.
    if (nestingDepth(text) > MAX_JSON_DEPTH)
      return done(new DomainError('MALFORMED_JSON', `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`), undefined);
    parse(request, text, (error: Error | null, value?: unknown) => {
      if (error) done(new DomainError('MALFORMED_JSON', 'The request body is not valid JSON.'), undefined);
      // A \ud800 escape parses to a lone surrogate, which no identifier, name or token holds and
      // which throws in URI and email checks further on.
      else if (ESCAPED_SURROGATE.test(text) && !wellFormed(value))
        done(new DomainError('MALFORMED_JSON', 'The request body holds text that is not valid Unicode.'), undefined);
      else done(null, value);
    });
  });
}

const MAX_JSON_DEPTH = 32;
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;

/** How deep arrays and objects nest in JSON text, brackets inside strings aside. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (value === null || typeof value !== 'object') return true;
  return Object.entries(value).every(([key, item]) => key.isWellFormed() && wellFormed(item));
}

/**
 * The methods the routes registered from here on answer for a path, so that a known path asked
 * with another method is told 405 and what it allows, not 404.
 */
function allowedMethodsOf(fastify: FastifyInstance): (path: string) => string[] {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  fastify.addHook('onRoute', (route) => {
    const escaped = route.url
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:[^/]+/g, '[^/]+')
      .replace(/\*/g, '.*');
    routes.push({ pattern: new RegExp(`^${escaped}/?$`), methods: ([] as string[]).concat(route.method) });
  });
  return (path) => [...new Set(routes.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods))];
}

/** The headers a helmet middleware sets: they depend on nothing in the request. */
function headersSetBy(middleware: (request: IncomingMessage, response: ServerResponse, next: () => void) => void): [string, string][] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return [...headers];
}
