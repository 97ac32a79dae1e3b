import { type DynamicModule, Module } from '@nestjs/common';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { LoggerModule } from 'nestjs-pino';
import { pino, stdTimeFunctions, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { AppConfig } from '#config';
import { RequestContext } from './request-context.js';
import { routeTemplate } from './route-template.js';

/** What the mixin answers when it has nothing to add: then the line's own object is written as it is. */
const NOTHING_TO_ADD = Object.freeze({});

const PINO_LEVELS: Record<string, string> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

// A safety net: should an object with one of these keys ever be logged, its value is not.
const REDACTED = ['password', 'otp', 'code', 'verification_token', 'access', 'refresh', 'token', 'secret', 'authorization'].flatMap(
  (key) => [key, `*.${key}`],
);

/** The process's pino logger: JSON lines (or readable ones), each stamped with the request it belongs to. */
function createRootLogger(config: AppConfig): Logger {
  const options = {
    level: PINO_LEVELS[config.http.logLevel] ?? 'info',
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACTED, censor: '[redacted]' },
    hooks: {
      // Nest's RoutesResolver prints each controller's path under the global prefix even where the
      // route is excluded from it ("/api/.well-known" for /.well-known/jwks.json); the RouterExplorer
      // line after it names every route as it is served, so the misleading one is left out.
      logMethod(args: unknown[], method: (...args: unknown[]) => void) {
        const fields = args[0] as { context?: unknown } | undefined;
        if (fields?.context === 'RoutesResolver') return;
        method.apply(this, args);
      },
    },
    // Every line written while a request is being served carries its id (see bindRequestContext);
    // the request's own line (logRequests) names it already.
    mixin: (fields: object) => {
      const context = 'request_id' in fields ? undefined : RequestContext.current();
      return context ? { request_id: context.requestId } : NOTHING_TO_ADD;
    },
    // pino's default copies every line into the mixin's object, also when there is nothing to add.
    mixinMergeStrategy: (fields: object, added: object) => (added === NOTHING_TO_ADD ? fields : Object.assign(added, fields)),
  };
  if (config.http.logFormat === 'json') {
    // Buffered: lines go out 4 KB at a time, or within 250 ms of being logged, instead of one
    // write(2) each (about two writes per request otherwise, and system calls are what a small host
    // pays for most); pino writes out what is left when the process exits.
    const destination = pino.destination({ sync: false, minLength: 4096 });
    let unflushed = false;
    setInterval(() => {
      if (unflushed) destination.flush();
      unflushed = false;
    }, 250).unref();
    const streamWrite = (line: string) => ((unflushed = true), line);
    return pino({ ...options, hooks: { ...options.hooks, streamWrite } }, destination);
  }
  // Loaded only here: production logs JSON, and need not carry pino-pretty and its dependencies.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  const readable = pretty({
    sync: true,
    colorize: Boolean(process.stdout.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    singleLine: true,
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
  return pino(options, readable);
}

/**
 * One line per request when its response is finished: the request id, the route template (never
 * the path's values, a header or a body), status, duration and the user when one was authenticated.
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  // These lines hold only the fields below, none of which can carry a secret, so they skip the
  // redaction walk (a few per cent of a /me request's CPU).
  const lines = logger.child({}, { redact: [] });
  fastify.addHook('onResponse', (request, reply, done) => {
    const userId = (request as { user?: { id?: string } }).user?.id;
    const line = {
      request_id: request.id,
      method: request.method,
      route: routeTemplate(request),
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 1000) / 1000,
      ...(userId ? { user_id: userId } : {}),
    };
    if (reply.statusCode >= 500) lines.error(line, 'request failed');
    else lines.info(line, 'request completed');
    done();
  });
}

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * Structured logs with pino, and nestjs-pino as Nest's logger so every `Logger` of the code base
 * writes through it. LOG_FORMAT=json (the default outside development) or pretty.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    const root = createRootLogger(config);
    return {
      module: LoggingModule,
      global: true,
      // No per-request middleware (forRoutes: []): the request lines come from logRequests, every
      // line gets its request id from the mixin above, and on Fastify that middleware would bind
      // Fastify's own request logger (disabled) in place of this one.
      imports: [
        LoggerModule.forRoot({
          pinoHttp: { logger: root, autoLogging: false },
          useExisting: true,
          forRoutes: [],
          renameContext: 'context',
        }),
      ],
      providers: [{ provide: ROOT_LOGGER, useValue: root }],
      exports: [ROOT_LOGGER],
    };
  }
}
