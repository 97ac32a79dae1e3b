import type { FastifyRequest } from 'fastify';

/**
 * The route that took the request, as its template (`/api/auth/me`,
 * `/admin/api/resources/:resourceId`), never the path's values; `unmatched` when no route took it.
 * For log lines and metric labels, where a raw path would leak identifiers and let clients mint
 * values. The admin panel's Express router leaves the route it matched on the raw request.
 */
export function routeTemplate(request: Pick<FastifyRequest, 'raw' | 'routeOptions'>): string {
  const express = request.raw as { route?: { path?: unknown }; baseUrl?: string };
  if (express.route?.path) return `${express.baseUrl ?? ''}${String(express.route.path)}`;
  return request.routeOptions.url ?? 'unmatched';
}
