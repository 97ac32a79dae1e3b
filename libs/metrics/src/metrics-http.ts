import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
// Not '#common': the HTTP workers' supervisor serves this listener and loads nothing else of the app.
import { DomainError, sendError } from '../../common/src/domain-error.js';
import { routeTemplate } from '../../common/src/route-template.js';
import type { Metrics } from './metrics.js';

/**
 * Times every request into http_request_duration_seconds, labelled with the route template that
 * took it (`/api/auth/me`, `/admin/api/resources/:resourceId/actions/:action`), never the raw path,
 * so an attacker cannot mint label values; anything unrouted is `unmatched`.
 */
export function recordHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      { method: request.method, route: routeTemplate(request), status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * GET /metrics in Prometheus's text format, for the API's port or a port of its own. With a token
 * configured, only `Authorization: Bearer <token>` gets in (compared in constant time); otherwise
 * the error shape every other route uses, code AUTH_REQUIRED.
 */
export function metricsHandler(metrics: Pick<Metrics, 'render' | 'contentType'>, token: string | undefined) {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const presented = req.headers.authorization;
    if (expected && !(presented && timingSafeEqual(digest(presented), expected))) {
      res.setHeader('www-authenticate', 'Bearer realm="metrics"');
      sendError(res, new DomainError('AUTH_REQUIRED', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.'));
      return;
    }
    metrics.render().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(body);
      },
      () => sendError(res, new DomainError('NOT_READY', 'Metrics could not be collected.')),
    );
  };
}

/** The whole request listener of a port that serves only GET /metrics (METRICS_PORT). */
export function metricsPortListener(metrics: Pick<Metrics, 'render' | 'contentType'>, token: string | undefined) {
  const handle = metricsHandler(metrics, token);
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') return handle(req, res);
    sendError(res, new DomainError('NOT_FOUND', 'Only GET /metrics is served here.'));
  };
}
