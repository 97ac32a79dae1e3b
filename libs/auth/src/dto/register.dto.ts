import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { USERNAME_PATTERN, USERNAME_RULE, normalizeUsername } from '#users';

export class RegisterDto {
  @ApiProperty({ example: 'test@example.com' })
  @IsString()
  @MaxLength(254)
  identifier!: string;

  @ApiProperty({ example: 'testuser', description: '3–30 of a-z, 0-9, "_" and "."; case-insensitive (stored lower-case).' })
  @Transform(({ value }) => (typeof value === 'string' ? normalizeUsername(value) : value))
  @IsString()
  @Matches(USERNAME_PATTERN, { message: USERNAME_RULE })
  username!: string;

  @ApiProperty({ format: 'uuid', description: 'From /api/auth/otp/verify with purpose REGISTER.' })
  @IsUUID()
  verification_token!: string;
}
