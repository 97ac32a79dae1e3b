import { BaseEntity, Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** The events other systems react to; a subset of the audit log, sent as they happen. */
export const WEBHOOK_EVENT_TYPES = [
  'user.created',
  'user.logged_in',
  'user.blocked',
  'user.unblocked',
  'user.deleted',
  'session.revoked',
  'token.reuse_detected',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export type WebhookData = Record<string, string | number | boolean | null>;

/** Where to send events. The signing secret is stored encrypted under KEYS_ENCRYPTION_KEY. */
@Entity({ name: 'webhook_endpoints' })
export class WebhookEndpoint extends BaseEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 2048 }) url!: string;
  /** The event types sent to it; empty means all. */
  @Column({ type: 'jsonb', default: () => `'[]'` }) events!: WebhookEventType[];
  @Column({ name: 'secret', type: 'text', select: false }) encryptedSecret!: string;
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  /** `config` for WEBHOOK_ENDPOINTS (kept in step with it at start-up), `operator` for the CLI and admin panel. */
  @Column({ type: 'varchar', length: 16, default: 'operator' }) source!: 'config' | 'operator';
  @Column({ type: 'varchar', length: 200, nullable: true }) description!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

export const DELIVERY_STATES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * One event for one endpoint: the outbox row, written in the same transaction as the change it
 * reports, then sent (and retried) by the dispatcher. Its id is the webhook-id header, the same on
 * every attempt, so receivers can drop duplicates.
 */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDelivery extends BaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 }) id!: string;
  @Column({ name: 'endpoint_id', type: 'uuid' }) endpointId!: string;
  @Column({ type: 'varchar', length: 64 }) type!: WebhookEventType;
  /** The exact JSON sent: {type, timestamp, data}. Never an OTP, a token or a hash. */
  @Column({ type: 'text' }) payload!: string;
  @Column({ type: 'varchar', length: 16, default: 'pending' }) status!: DeliveryState;
  @Column({ type: 'int', default: 0 }) attempts!: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz' }) nextAttemptAt!: Date;
  @Column({ name: 'last_status', type: 'int', nullable: true }) lastStatus!: number | null;
  @Column({ name: 'last_error', type: 'varchar', length: 300, nullable: true }) lastError!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt!: Date | null;
}
