import { ApiProperty } from '@nestjs/swagger';
import { UserResponseDto } from '#users';

export class TokenPairDto {
  @ApiProperty({ description: 'Access token (JWT), sent as `Authorization: Bearer`.' }) access!: string;
  @ApiProperty({ description: 'Refresh token (JWT), single use: /api/auth/token/refresh returns a new pair.' }) refresh!: string;
}

export class SessionResponseDto extends TokenPairDto {
  @ApiProperty({ type: UserResponseDto }) user!: UserResponseDto;
}

export class DetailResponseDto {
  @ApiProperty({ example: 'Logged out.' }) detail!: string;
}
