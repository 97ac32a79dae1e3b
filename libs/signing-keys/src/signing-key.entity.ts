import { BaseEntity, Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type AsymmetricAlgorithm = 'ES256' | 'RS256';

/**
 * A key's life: `next` (published in the JWKS, signs nothing yet) → `current` (signs) → `previous`
 * (published and accepted, signs nothing, until the tokens it signed have expired) → `retired`
 * (neither published nor accepted).
 */
export const KEY_STATES = ['next', 'current', 'previous', 'retired'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** An asymmetric signing key. The private key is stored encrypted (see KeyCipher) and never selected by default. */
@Entity({ name: 'signing_keys' })
export class SigningKey extends BaseEntity {
  /** The RFC 7638 thumbprint of the public key: stable, and derived from nothing secret. */
  @PrimaryColumn({ type: 'varchar', length: 64 }) kid!: string;
  @Column({ type: 'varchar', length: 8 }) algorithm!: AsymmetricAlgorithm;
  @Column({ type: 'varchar', length: 16 }) state!: KeyState;
  /** The public key as an RFC 7517 JWK (no private members). */
  @Column({ name: 'public_jwk', type: 'jsonb' }) publicJwk!: Record<string, string>;
  @Column({ name: 'private_key', type: 'text', select: false }) encryptedPrivateKey!: string;
  /** When it was created, and so first published as next. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true }) activatedAt!: Date | null;
  @Column({ name: 'deactivated_at', type: 'timestamptz', nullable: true }) deactivatedAt!: Date | null;
  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true }) retiredAt!: Date | null;
}
