import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { KEY_STATES, type SigningKey } from '#signing-keys';
import { WEBHOOK_EVENT_TYPES, type WebhookDelivery, type WebhookEndpoint } from '#webhooks';

/** A signing key without its private part, which never leaves the service. */
export class SigningKeyDto {
  @ApiProperty() kid!: string;
  @ApiProperty({ enum: ['ES256', 'RS256'] }) algorithm!: string;
  @ApiProperty({ enum: KEY_STATES }) state!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) activated_at!: string | null;

  static from(key: SigningKey): SigningKeyDto {
    return {
      kid: key.kid,
      algorithm: key.algorithm,
      state: key.state,
      created_at: key.createdAt.toISOString(),
      activated_at: key.activatedAt?.toISOString() ?? null,
    };
  }
}

export class SigningKeyListDto {
  @ApiProperty({ type: [SigningKeyDto] }) items!: SigningKeyDto[];
}

export class RotationDto {
  @ApiProperty({ description: 'Was current; verifies until its tokens expire.' }) previous!: string;
  @ApiProperty({ description: 'Signs from now on (within KEYS_REFRESH_SECONDS on every instance).' }) current!: string;
  @ApiProperty({ description: 'Published in the JWKS, signs nothing yet.' }) next!: string;
}

export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, description: 'Empty: every event.' }) events!: string[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: ['config', 'operator'] }) source!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;

  static from(endpoint: WebhookEndpoint): WebhookEndpointDto {
    return {
      id: endpoint.id,
      url: endpoint.url,
      events: endpoint.events,
      enabled: endpoint.enabled,
      source: endpoint.source,
      description: endpoint.description,
      created_at: endpoint.createdAt.toISOString(),
    };
  }
}

export class WebhookEndpointListDto {
  @ApiProperty({ type: [WebhookEndpointDto] }) items!: WebhookEndpointDto[];
}

export class CreatedWebhookDto extends WebhookEndpointDto {
  @ApiProperty({ description: 'The signing secret (Standard Webhooks), shown this once and stored only encrypted.' }) secret!: string;
}

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://example.com/hooks/otp-auth' })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_TYPES, isArray: true, description: 'Omitted or empty: every event.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events?: string[];

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;
}

export class WebhookDeliveryDto {
  @ApiProperty({ description: 'The webhook-id header, the same on every attempt.' }) id!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) type!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'dead'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: Number, nullable: true }) last_status!: number | null;
  @ApiProperty({ type: String, nullable: true }) last_error!: string | null;
  @ApiProperty({ format: 'date-time' }) next_attempt_at!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) delivered_at!: string | null;

  static from(delivery: WebhookDelivery): WebhookDeliveryDto {
    return {
      id: delivery.id,
      type: delivery.type,
      status: delivery.status,
      attempts: delivery.attempts,
      last_status: delivery.lastStatus,
      last_error: delivery.lastError,
      next_attempt_at: delivery.nextAttemptAt.toISOString(),
      created_at: delivery.createdAt.toISOString(),
      delivered_at: delivery.deliveredAt?.toISOString() ?? null,
    };
  }
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) items!: WebhookDeliveryDto[];
}
