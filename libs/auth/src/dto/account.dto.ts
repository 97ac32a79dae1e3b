import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { USERNAME_PATTERN, USERNAME_RULE, normalizeUsername } from '#users';

export class UpdateMeDto {
  @ApiProperty({ example: 'testuser', description: '3–30 of a-z, 0-9, "_" and "."; case-insensitive (stored lower-case).' })
  @Transform(({ value }) => (typeof value === 'string' ? normalizeUsername(value) : value))
  @IsString()
  @Matches(USERNAME_PATTERN, { message: USERNAME_RULE })
  username!: string;
}

export class DeleteMeDto {
  @ApiProperty({
    format: 'uuid',
    description: 'From /api/auth/otp/verify with purpose LOGIN for this account, within VERIFICATION_TOKEN_TTL_SECONDS.',
  })
  @IsUUID()
  verification_token!: string;
}

export class ChangeIdentifierDto {
  @ApiProperty({ example: 'new@example.com', description: 'The new email address or phone number: it replaces the one of its kind.' })
  @IsString()
  @MaxLength(254)
  identifier!: string;

  @ApiProperty({ format: 'uuid', description: 'From /api/auth/otp/verify with purpose CHANGE_IDENTIFIER for this identifier.' })
  @IsUUID()
  verification_token!: string;
}
