import { Controller, Get, Header, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { ApiErrorResponses, DomainError, Public } from '#common';
import { DeliveryChannel, DevDeliveryChannel } from '#delivery';
import { OTP_PURPOSES, type OtpPurpose } from './otp-store.js';
import { OtpService } from './otp.service.js';

class DevOutboxQuery {
  @ApiProperty({ example: 'test@example.com' }) @IsString() @MaxLength(254) identifier!: string;
  @ApiProperty({ enum: OTP_PURPOSES }) @IsIn(OTP_PURPOSES) purpose!: OtpPurpose;
}

/**
 * Development channel only (registered only with it, which production refuses): the last code
 * sent to an identifier, as plain text, for curl scripts and load drivers.
 */
@ApiTags('development')
@Public()
@Controller('dev/otp')
export class DevOutboxController {
  constructor(
    @Inject(DeliveryChannel) private readonly delivery: DeliveryChannel,
    @Inject(OtpService) private readonly otp: OtpService,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Read the last development code for an identifier (dev channel only)' })
  @ApiOkResponse({ description: 'The code, as text.', schema: { type: 'string', example: '962393' } })
  @ApiErrorResponses('VALIDATION_FAILED', 'IDENTIFIER_INVALID', 'NOT_FOUND')
  async lastCode(@Query() query: DevOutboxQuery): Promise<string> {
    if (!(this.delivery instanceof DevDeliveryChannel)) throw new DomainError('NOT_FOUND', 'No such route.');
    const identifier = this.otp.normalize(query.identifier);
    const message = await this.delivery.lastMessage(query.purpose, identifier.value);
    if (!message?.code) throw new DomainError('NOT_FOUND', 'No code has been sent to this identifier for this purpose recently.');
    return message.code;
  }
}
