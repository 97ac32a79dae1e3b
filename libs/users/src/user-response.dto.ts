import { ApiProperty } from '@nestjs/swagger';
import type { User } from './user.entity.js';

/** A user as it leaves the service: every field named, nothing secret. */
export class UserResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'testuser' }) username!: string;
  @ApiProperty({ type: String, nullable: true, example: 'test@example.com' }) email!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '+14155550123' }) phone!: string | null;
  @ApiProperty({ enum: ['user', 'admin'] }) role!: string;
  @ApiProperty() is_active!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_login_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;

  static from(user: User): UserResponseDto {
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      phone: user.phone,
      role: user.role,
      is_active: user.isActive,
      last_login_at: user.lastLoginAt?.toISOString() ?? null,
      created_at: user.createdAt.toISOString(),
    };
  }
}
