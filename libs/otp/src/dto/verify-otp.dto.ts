import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { OTP_PURPOSES, type OtpPurpose } from '../otp-store.js';

export class VerifyOtpDto {
  @ApiProperty({ example: 'test@example.com' })
  @IsString()
  @MaxLength(254)
  identifier!: string;

  @ApiProperty({ example: '962393', description: 'The code that was sent (digits only).' })
  @IsString()
  @Matches(/^\d{4,10}$/, { message: 'otp must be the digits of the code that was sent' })
  otp!: string;

  @ApiProperty({ enum: OTP_PURPOSES, example: 'REGISTER' })
  @IsIn(OTP_PURPOSES)
  purpose!: OtpPurpose;
}

export class VerifyOtpResponseDto {
  @ApiProperty({ format: 'uuid', description: 'Single use; spend it at /api/auth/register or /api/auth/login.' })
  verification_token!: string;

  @ApiProperty({ example: 600 }) expires_in!: number;
}
