import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, sendError } from '#common';

export const ADMIN_ROOT = '/admin';

export type PanelHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * `load`'s result, loaded on the first call and shared by the calls that arrive meanwhile; a failure
 * is not kept, so the next call tries again.
 */
export function loadedOnFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));
}

/** 503 ADMIN_PANEL_UNAVAILABLE, with the reason in the log. */
export function panelUnavailable(logger: Logger, response: ServerResponse, error: unknown): void {
  logger.error(`The admin panel failed to load: ${error instanceof Error ? error.stack : String(error)}`);
  sendError(response, new DomainError('ADMIN_PANEL_UNAVAILABLE', 'The admin panel could not be loaded; try again.', 1));
}

/**
 * Hands every request under /admin to the panel's app as it arrived: the body unread (AdminJS parses
 * its own forms and uploads), after the API's request id, security headers, log line and metrics
 * hooks. The app (Express, admin-app.ts) loads on the first such request: a process nobody opens
 * the panel on never loads Express.
 */
export function mountAdminPanel(fastify: FastifyInstance, loadPanel: () => Promise<PanelHandler>): void {
  const logger = new Logger('AdminPanel');
  const panel = loadedOnFirstUse(loadPanel);
  void fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request: FastifyRequest, _payload: IncomingMessage, done: (error: null) => void) => done(null));
    const handOver = (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      panel().then(
        (handle) => handle(request.raw, reply.raw),
        (error: unknown) => panelUnavailable(logger, reply.raw, error),
      );
    };
    scope.all(ADMIN_ROOT, handOver);
    scope.all(`${ADMIN_ROOT}/*`, handOver);
  });
}
