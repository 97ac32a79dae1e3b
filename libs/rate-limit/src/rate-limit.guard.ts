import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '#audit';
import { DomainError, ExpiringMap, httpReplyOf, httpRequestOf, routeTemplate } from '#common';
import { Metrics } from '#metrics';
import { RATE_LIMIT, type RateLimitName } from './rate-limit.decorator.js';

const ALLOWED = Promise.resolve(true);

/**
 * @nestjs/throttler's guard, counting only the routes that carry @RateLimit and answering in the one
 * error shape with Retry-After.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  // An address hammering a route is reported once per window per instance, not once per refused request.
  private readonly reported = new ExpiringMap<true>(10_000);

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {
    super(options, storage, reflector);
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    // Decided before the throttler's own per-request lookups (four metadata keys it builds as strings):
    // most requests are of routes that are not counted, /me among them.
    return rateLimitOf(this.reflector, context) === undefined ? ALLOWED : super.canActivate(context);
  }

  protected override getRequestResponse(context: ExecutionContext): { req: Record<string, unknown>; res: Record<string, unknown> } {
    return { req: httpRequestOf(context), res: httpReplyOf(context) };
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfterSeconds = detail.timeToBlockExpire || detail.timeToExpire;
    const request = httpRequestOf<FastifyRequest>(context);
    const route = `${request.method} ${routeTemplate(request)}`;
    this.metrics.rateLimitHits.inc({ route });
    if (!this.reported.get(detail.key)) {
      this.reported.set(detail.key, true, retryAfterSeconds * 1000);
      // Not awaited: the refusal must stay cheap, and a failed write is only logged.
      void this.audit.recordBestEffort({
        type: 'rate_limit.exceeded',
        ip: detail.tracker,
        details: { route, limit: detail.limit, windowSeconds: Math.round(detail.ttl / 1000) },
      });
    }
    throw new DomainError('RATE_LIMITED', 'Too many requests from this address; try again later.', retryAfterSeconds);
  }
}

/** The limit a route counts against (@RateLimit on it or its controller), or undefined: not counted. */
export const rateLimitOf = (reflector: Reflector, context: ExecutionContext): RateLimitName | undefined =>
  reflector.getAllAndOverride<RateLimitName | undefined>(RATE_LIMIT, [context.getHandler(), context.getClass()]);
