import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuditService, type Actor } from '#audit';
import { Acting, Roles } from '#auth-tokens';
import { ApiErrorResponses } from '#common';
import { RateLimit } from '#rate-limit';
import { SigningKeysService } from '#signing-keys';
import { WebhooksService } from '#webhooks';
import { AuditEventDto, AuditEventPageDto, ListAuditEventsQueryDto } from './dto/admin-audit.dto.js';
import {
  CreateWebhookDto,
  CreatedWebhookDto,
  RotationDto,
  SigningKeyDto,
  SigningKeyListDto,
  WebhookDeliveryDto,
  WebhookDeliveryListDto,
  WebhookEndpointDto,
  WebhookEndpointListDto,
} from './dto/admin-keys-webhooks.dto.js';
import { PageQueryDto, pageOf } from './dto/page.dto.js';

/** The audit log, the signing keys and the webhook endpoints, for an admin's bearer token. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@RateLimit('admin')
@ApiErrorResponses('AUTH_REQUIRED', 'TOKEN_INVALID', 'FORBIDDEN', 'RATE_LIMITED', 'DATABASE_UNAVAILABLE', 'REDIS_UNAVAILABLE')
@Controller('admin')
export class AdminSecurityController {
  constructor(
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(SigningKeysService) private readonly keys: SigningKeysService,
    @Inject(WebhooksService) private readonly webhooks: WebhooksService,
  ) {}

  @Get('audit-events')
  @ApiOperation({ summary: 'Search the audit log, newest first, a page at a time' })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiErrorResponses('VALIDATION_FAILED')
  async auditEvents(@Query() query: ListAuditEventsQueryDto): Promise<AuditEventPageDto> {
    const page = await this.audit.list({
      ...pageOf(query),
      type: query.type,
      actorId: query.actor,
      targetId: query.target,
      since: query.since,
      until: query.until,
    });
    return { items: page.items.map((event) => AuditEventDto.from(event)), next_cursor: page.nextCursor };
  }

  @Get('signing-keys')
  @ApiOperation({ summary: 'The signing keys: kid, algorithm, state and dates (never a private part)' })
  @ApiOkResponse({ type: SigningKeyListDto })
  @ApiErrorResponses('KEY_NOT_FOUND')
  async signingKeys(): Promise<SigningKeyListDto> {
    return { items: (await this.keys.list()).map((key) => SigningKeyDto.from(key)) };
  }

  @Post('signing-keys/rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate: next signs, current becomes previous, a new next is published',
    description:
      'Refused (409 KEY_NOT_READY) while the next key is younger than the JWKS cache lifetime plus KEYS_REFRESH_SECONDS, unless `force=true`.',
  })
  @ApiQuery({ name: 'force', required: false, enum: ['true', 'false'] })
  @ApiOkResponse({ type: RotationDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'KEY_NOT_READY', 'KEY_NOT_FOUND', 'CONFLICT')
  async rotate(@Query('force') force: string | undefined, @Acting('api') actor: Actor): Promise<RotationDto> {
    return this.keys.rotate(actor, { force: force === 'true' });
  }

  @Get('webhooks')
  @ApiOperation({ summary: 'The webhook endpoints (never their secrets)' })
  @ApiOkResponse({ type: WebhookEndpointListDto })
  async listWebhooks(): Promise<WebhookEndpointListDto> {
    return { items: (await this.webhooks.list()).map((endpoint) => WebhookEndpointDto.from(endpoint)) };
  }

  @Post('webhooks')
  @ApiOperation({ summary: 'Register an endpoint; its signing secret is in this answer only' })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'MALFORMED_JSON', 'WEBHOOK_URL_INVALID')
  async addWebhook(@Body() body: CreateWebhookDto, @Acting('api') actor: Actor): Promise<CreatedWebhookDto> {
    const { endpoint, secret } = await this.webhooks.add(body, actor);
    return { ...WebhookEndpointDto.from(endpoint), secret };
  }

  @Delete('webhooks/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an endpoint and its pending deliveries' })
  @ApiNoContentResponse()
  @ApiErrorResponses('VALIDATION_FAILED', 'WEBHOOK_NOT_FOUND')
  async removeWebhook(@Param('id', ParseUUIDPipe) id: string, @Acting('api') actor: Actor): Promise<void> {
    await this.webhooks.remove(id, actor);
  }

  @Get('webhooks/:id/deliveries')
  @ApiOperation({ summary: "An endpoint's deliveries, newest first" })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  @ApiErrorResponses('VALIDATION_FAILED', 'WEBHOOK_NOT_FOUND')
  async deliveries(@Param('id', ParseUUIDPipe) id: string, @Query() query: PageQueryDto): Promise<WebhookDeliveryListDto> {
    return { items: (await this.webhooks.deliveriesOf(id, query.limit ?? 50)).map((delivery) => WebhookDeliveryDto.from(delivery)) };
  }
}
