import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional, IsUUID } from 'class-validator';
import { AUDIT_EVENT_TYPES, type AuditEvent, type AuditEventType } from '#audit';
import { PageQueryDto } from './page.dto.js';

export class ListAuditEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: AUDIT_EVENT_TYPES })
  @IsOptional()
  @IsIn(AUDIT_EVENT_TYPES)
  type?: AuditEventType;

  @ApiPropertyOptional({ format: 'uuid', description: 'Who did it.' })
  @IsOptional()
  @IsUUID()
  actor?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Whom it concerns.' })
  @IsOptional()
  @IsUUID()
  target?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'From this instant (inclusive).' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  since?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Before this instant.' })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  until?: Date;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: AUDIT_EVENT_TYPES }) type!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Null for the CLI and the system (see details.via).' })
  actor_id!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) target_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The X-Request-Id of the request it came from.' }) request_id!: string | null;
  @ApiProperty({ type: Object, nullable: true, example: { via: 'api' } }) details!: Record<string, unknown> | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;

  static from(event: AuditEvent): AuditEventDto {
    return {
      id: event.id,
      type: event.type,
      actor_id: event.actorId,
      target_id: event.targetId,
      ip: event.ip,
      request_id: event.requestId,
      details: event.details,
      created_at: event.createdAt.toISOString(),
    };
  }
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}
