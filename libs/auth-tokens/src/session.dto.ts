import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { SessionView } from './sessions.service.js';

/** One signed-in device: a refresh-token family, from sign-in to its last refresh. */
export class SessionDto {
  @ApiProperty({ format: 'uuid', description: 'The `sid` claim of its access tokens.' }) id!: string;
  @ApiProperty({ format: 'uuid' }) user_id!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', description: 'Its sign-in or its last token refresh.' }) last_used_at!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ type: String, nullable: true }) user_agent!: string | null;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiPropertyOptional({ description: 'Self-service only: the session the calling token belongs to.' }) current?: boolean;

  /** `self` for the user's own list, which marks the session the calling token belongs to. */
  static from(session: SessionView, self?: { currentSessionId: string | undefined }): SessionDto {
    return {
      id: session.id,
      user_id: session.userId,
      created_at: session.createdAt.toISOString(),
      last_used_at: session.lastUsedAt.toISOString(),
      expires_at: session.expiresAt.toISOString(),
      user_agent: session.userAgent,
      ip: session.ip,
      ...(self ? { current: session.id === self.currentSessionId } : {}),
    };
  }
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) items!: SessionDto[];
}
