import { type DynamicModule, Module } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { LoggerModule } from 'nestjs-pino';
import { pino, stdTimeFunctions, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from '#config';
import { RequestContext } from './request-context.js';
import { routeTemplate } from './route-template.js';

const PINO_LEVELS: Record<string, string> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

// A safety net: should an object with one of these keys ever be logged, its value is not.
const REDACTED = ['password', 'otp', 'code', 'verification_token', 'access', 'refresh', 'token', 'secret', 'authorization'].flatMap((key) => [key, `*.${key}`]);

/** The process's pino logger: JSON lines (or readable ones), each stamped with the request it belongs to. */
function createRootLogger(config: AppConfig): Logger {
  const options = {
    level: PINO_LEVELS[config.http.logLevel] ?? 'info',
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACTED, censor: '[redacted]' },
    // Every line written while a request is being served carries its id (see requestIdMiddleware).
    mixin: () => {
      const context = RequestContext.current();
      return context ? { request_id: context.requestId } : {};
    },
  };
  // Asynchronous: lines written while a write is under way go out together in the next one (one
  // syscall for many under load, at once when idle); pino flushes what is left when the process exits.
  if (config.http.logFormat === 'json') return pino(options, pino.destination({ sync: false }));
  const readable = pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,context', singleLine: true, messageFormat: '{if context}[{context}] {end}{msg}' });
  return pino(options, readable);
}

/**
 * One line per request when its response is finished: the request id, the route template (never
 * the path's values, a header or a body), status, duration and the user when one was authenticated.
 */
export function requestLogMiddleware(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const requestId = RequestContext.current()?.requestId;
    res.once('finish', () => {
      const line = {
        request_id: requestId,
        method: req.method,
        route: routeTemplate(req),
        status: res.statusCode,
        duration_ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...((req as Request & { user?: { id?: string } }).user?.id ? { user_id: (req as Request & { user: { id: string } }).user.id } : {}),
      };
      if (res.statusCode >= 500) logger.error(line, 'request failed');
      else logger.info(line, 'request completed');
    });
    next();
  };
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
      // useExisting: the request lines come from requestLogMiddleware, not pino-http's middleware.
      imports: [LoggerModule.forRoot({ pinoHttp: { logger: root, autoLogging: false }, useExisting: true, renameContext: 'context' })],
      providers: [{ provide: ROOT_LOGGER, useValue: root }],
      exports: [ROOT_LOGGER],
    };
  }
}
