import { BaseEntity, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One issued refresh token (a "session" to an operator). Rotation chains tokens into a family;
 * presenting a revoked member revokes the family (reuse detection, OAuth 2.0 Security BCP §4.14).
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshToken extends BaseEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** SHA-256 of the token's jti: the table alone cannot be used to forge or replay a token. */
  @Column({ name: 'token_hash', type: 'char', length: 64, select: false }) tokenHash!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @Column({ name: 'family_id', type: 'uuid' }) familyId!: string;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true }) revokedReason!: string | null;
  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true }) userAgent!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) ip!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
