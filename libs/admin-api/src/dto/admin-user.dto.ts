import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { UserResponseDto, type User } from '#users';
import { PageQueryDto } from './page.dto.js';

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** A user as operators see it: the public fields plus when the row last changed. */
export class AdminUserDto extends UserResponseDto {
  @ApiProperty({ format: 'date-time' }) updated_at!: string;

  static override from(user: User): AdminUserDto {
    return { ...UserResponseDto.from(user), updated_at: user.updatedAt.toISOString() };
  }
}

export class AdminUserPageDto {
  @ApiProperty({ type: [AdminUserDto] }) items!: AdminUserDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last.' }) next_cursor!:
    string | null;
}

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of a username, email or phone number.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;

  @ApiPropertyOptional({ enum: ['user', 'admin'] })
  @IsOptional()
  @IsIn(['user', 'admin'])
  role?: 'user' | 'admin';

  @ApiPropertyOptional({ type: Boolean, description: '`false` lists the blocked accounts.' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  active?: boolean;
}

export class CreateUserDto {
  @ApiProperty({ example: 'janak', description: '3–30 of a-z, 0-9, "_" and "."; case-insensitive.' })
  @IsString()
  @MaxLength(30)
  username!: string;

  @ApiPropertyOptional({ example: 'janak@example.com', description: 'An email address, a phone number or both.' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ example: '+14155550123' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string;

  @ApiPropertyOptional({ enum: ['user', 'admin'], default: 'user' })
  @IsOptional()
  @IsIn(['user', 'admin'])
  role?: 'user' | 'admin';
}

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'janak' })
  @IsOptional()
  @IsString()
  @MaxLength(30)
  username?: string;

  @ApiPropertyOptional({ enum: ['user', 'admin'], description: 'A change ends every access token and panel session the user has.' })
  @IsOptional()
  @IsIn(['user', 'admin'])
  role?: 'user' | 'admin';

  @ApiPropertyOptional({ description: '`false` blocks the account (every session ends), `true` unblocks it.' })
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;
}
