import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, MaxLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'test@example.com' })
  @IsString()
  @MaxLength(254)
  identifier!: string;

  @ApiProperty({ format: 'uuid', description: 'From /api/auth/otp/verify with purpose LOGIN.' })
  @IsUUID()
  verification_token!: string;
}
