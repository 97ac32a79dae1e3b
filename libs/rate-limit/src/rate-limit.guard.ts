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
import { DomainError, ExpiringMap, routeTemplate } from '#common';
import { Metrics } from '#metrics';

/** @nestjs/throttler's guard, answering in the one error shape with Retry-After. */
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

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfterSeconds = detail.timeToBlockExpire || detail.timeToExpire;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
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
