import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from './metrics.js';

/**
 * Times every request into http_request_duration_seconds, labelled with the route template Express
 * matched (`/api/auth/me`, `/admin/api/resources/:resourceId/actions/:action`), never the raw path,
 * so an attacker cannot mint label values; anything unrouted is `unmatched`.
 */
export function httpMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status_code: String(res.statusCode) });
    });
    next();
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * GET /metrics in Prometheus's text format, for the API's port or a port of its own. With a token
 * configured, only `Authorization: Bearer <token>` gets in (compared in constant time); otherwise
 * the error shape every other route uses, code AUTH_REQUIRED.
 */
export function metricsHandler(metrics: Metrics, token: string | undefined) {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const presented = req.headers.authorization;
    if (expected && !(presented && timingSafeEqual(digest(presented), expected))) {
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' });
      res.end(JSON.stringify({ statusCode: 401, error: 'Unauthorized', message: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.', code: 'AUTH_REQUIRED' }));
      return;
    }
    metrics.render().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(body);
      },
      () => {
        res.writeHead(503, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'Metrics could not be collected.', code: 'NOT_READY' }));
      },
    );
  };
}
