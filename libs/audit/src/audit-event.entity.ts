import { BaseEntity, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The security events an operator audits; docs/architecture.md lists them. */
export const AUDIT_EVENT_TYPES = [
  'user.signed_up',
  'user.created',
  'user.logged_in',
  'user.blocked',
  'user.blocked_attempt',
  'user.unblocked',
  'user.updated',
  'user.deleted',
  'user.identifier_changed',
  'sessions.revoked',
  'otp.locked',
  'otp.identifier_locked',
  'token.reuse_detected',
  'rate_limit.exceeded',
  'sms.budget_exceeded',
  'admin.signed_in',
  'admin.sign_in_failed',
  'admin.password_set',
  'admin.token_issued',
  'keys.rotated',
  'keys.retired',
  'webhook.added',
  'webhook.removed',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];
export type AuditDetails = Record<string, string | number | boolean | null>;

/** Append-only: written by the services that do these things, read-only everywhere else. (BaseEntity: @adminjs/typeorm reads entities through it.) */
@Entity({ name: 'audit_events' })
export class AuditEvent extends BaseEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 64 }) type!: AuditEventType;
  /** Who did it: a user id, or null for the system or the CLI (see details.via). */
  @Column({ name: 'actor_id', type: 'uuid', nullable: true }) actorId!: string | null;
  /** Whom it concerns. */
  @Column({ name: 'target_id', type: 'uuid', nullable: true }) targetId!: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) ip!: string | null;
  /** The X-Request-Id of the request that caused it, to find its log lines; null outside a request. */
  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true }) requestId!: string | null;
  /** Never a code, token, hash or password. */
  @Column({ type: 'jsonb', nullable: true }) details!: AuditDetails | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
