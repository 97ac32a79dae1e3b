import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';

/**
 * The route Express matched, as its template (`/api/auth/me`, `/admin/api/resources/:resourceId`),
 * never the path's values; `unmatched` when no route took the request. For log lines and metric
 * labels, where a raw path would leak identifiers and let clients mint values.
 */
export function routeTemplate(req: IncomingMessage & Partial<Pick<Request, 'route' | 'baseUrl'>>): string {
  return req.route?.path ? `${req.baseUrl ?? ''}${String(req.route.path)}` : 'unmatched';
}
