import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { OTP_PURPOSES, type OtpPurpose } from '../otp-store.js';

export class RequestOtpDto {
  @ApiProperty({ description: 'An email address, or a phone number in international (E.164) format.', example: 'test@example.com' })
  @IsString()
  @MaxLength(254)
  identifier!: string;

  @ApiProperty({ enum: OTP_PURPOSES, example: 'REGISTER' })
  @IsIn(OTP_PURPOSES)
  purpose!: OtpPurpose;

  @ApiPropertyOptional({
    description:
      'The token of the CAPTCHA widget (Turnstile, hCaptcha or reCAPTCHA), when the service is configured to ask for one (CAPTCHA_PROVIDER); otherwise leave it out.',
    maxLength: 4096,
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  captcha_token?: string;
}

export class RequestOtpResponseDto {
  @ApiProperty({ example: 'If this identifier can use a code, one has been sent.' }) detail!: string;
  @ApiProperty({ description: 'Seconds the code stays valid.', example: 300 }) expires_in!: number;
  @ApiProperty({ description: 'Seconds before another code may be requested.', example: 60 }) resend_after!: number;
}
