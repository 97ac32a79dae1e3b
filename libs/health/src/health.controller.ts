import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '#common';
import { HealthService, type DependencyState } from './health.service.js';
import { ShutdownState } from './shutdown-state.js';
import { DeliveryStatsSource, type DeliveryStats } from '#delivery';

class ReadinessDto {
  @ApiProperty({
    enum: ['ok', 'degraded', 'unavailable'],
    description: '`degraded`: ready, but the delivery queue is backed up or failing',
  })
  status!: string;
  @ApiProperty({ example: { database: 'up', redis: 'up' } }) checks!: Record<string, DependencyState>;
  @ApiProperty({
    required: false,
    description:
      'Live delivery only: the queue, `degraded` over DELIVERY_DEGRADED_BACKLOG messages waiting or DELIVERY_DEGRADED_FAILURES dead letters in 15 minutes',
    example: { status: 'ok', queued: 0, delivered: 12, deadLettered: 0, deadLetteredLast15m: 0 },
  })
  delivery?: DeliveryStats | { status: 'unknown' };
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthService) private readonly health: HealthService,
    @Inject(ShutdownState) private readonly shutdown: ShutdownState,
    @Inject(DeliveryStatsSource) private readonly delivery: DeliveryStatsSource | null,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: Postgres and Redis answer, and the process is not shutting down' })
  @ApiOkResponse({ type: ReadinessDto })
  @ApiServiceUnavailableResponse({
    description: 'The error shape (code NOT_READY) plus `checks`, naming what is down (`shutdown: draining` once SIGTERM has arrived).',
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<object> {
    const checks: Record<string, DependencyState | 'draining'> = await this.health.check();
    if (this.shutdown.draining) checks.shutdown = 'draining';
    const down = Object.entries(checks)
      .filter(([, state]) => state === 'down' || state === 'draining')
      .map(([name]) => name);
    // The queue's backlog and failures, for operators; a failing mail server does not make the API unready.
    const delivery = this.delivery ? { delivery: await this.delivery.stats().catch(() => ({ status: 'unknown' as const })) } : {};
    if (!down.length) return { status: delivery.delivery?.status === 'degraded' ? 'degraded' : 'ok', checks, ...delivery };
    void reply.code(503);
    return {
      statusCode: 503,
      error: 'Service Unavailable',
      message: `Unavailable: ${down.join(', ')}`,
      code: 'NOT_READY',
      status: 'unavailable',
      checks,
      ...delivery,
    };
  }
}
