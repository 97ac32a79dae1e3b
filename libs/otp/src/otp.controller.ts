import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, AuthenticateIfPresent, type DomainError, Public } from '#common';
import { AuthFailure, CurrentUser } from '#auth-tokens';
import type { User } from '#users';
import { RateLimit } from '#rate-limit';
import { RequestOtpDto, RequestOtpResponseDto } from './dto/request-otp.dto.js';
import { VerifyOtpDto, VerifyOtpResponseDto } from './dto/verify-otp.dto.js';
import { OtpService } from './otp.service.js';

@ApiTags('otp')
@Public()
@Controller('auth/otp')
export class OtpController {
  constructor(@Inject(OtpService) private readonly otp: OtpService) {}

  @Post('request')
  @RateLimit('otpRequest')
  @AuthenticateIfPresent()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Send a one-time code',
    description:
      'Answers alike whether or not an account exists. CHANGE_IDENTIFIER (a new email or phone for your account) needs your bearer token; REGISTER and LOGIN need none.',
  })
  @ApiOkResponse({ type: RequestOtpResponseDto })
  @ApiErrorResponses(
    'VALIDATION_FAILED',
    'MALFORMED_JSON',
    'IDENTIFIER_INVALID',
    'PHONE_COUNTRY_NOT_ALLOWED',
    'CAPTCHA_REQUIRED',
    'CAPTCHA_INVALID',
    'AUTH_REQUIRED',
    'TOKEN_INVALID',
    'OTP_COOLDOWN',
    'OTP_RATE_LIMITED',
    'IDENTIFIER_LOCKED',
    'RATE_LIMITED',
    'SMS_BUDGET_EXCEEDED',
    'DATABASE_UNAVAILABLE',
    'REDIS_UNAVAILABLE',
    'CAPTCHA_UNAVAILABLE',
  )
  async request(
    @Body() body: RequestOtpDto,
    @CurrentUser() user: User | undefined,
    @AuthFailure() authFailure: DomainError | undefined,
    @Req() request: FastifyRequest,
  ): Promise<RequestOtpResponseDto> {
    if (body.purpose === 'CHANGE_IDENTIFIER' && !user && authFailure) throw authFailure;
    const sent = await this.otp.requestCode(body.identifier, body.purpose, {
      requester: user,
      captchaToken: body.captcha_token,
      ip: request.ip,
    });
    return {
      detail: 'If this identifier can use a code, one has been sent.',
      expires_in: sent.expiresInSeconds,
      resend_after: sent.resendAfterSeconds,
    };
  }

  @Post('verify')
  @RateLimit('otpVerify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Prove a code and get a single-use verification token' })
  @ApiOkResponse({ type: VerifyOtpResponseDto })
  @ApiErrorResponses(
    'VALIDATION_FAILED',
    'MALFORMED_JSON',
    'IDENTIFIER_INVALID',
    'OTP_INVALID',
    'OTP_EXPIRED',
    'OTP_LOCKED',
    'IDENTIFIER_LOCKED',
    'RATE_LIMITED',
    'REDIS_UNAVAILABLE',
  )
  async verify(@Body() body: VerifyOtpDto): Promise<VerifyOtpResponseDto> {
    const issued = await this.otp.verifyCode(body.identifier, body.purpose, body.otp);
    return { verification_token: issued.verificationToken, expires_in: issued.expiresInSeconds };
  }
}
