import { BaseEntity, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type UserRole = 'user' | 'admin';

@Entity({ name: 'users' })
export class User extends BaseEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 254, nullable: true }) email!: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) phone!: string | null;
  @Column({ type: 'varchar', length: 30 }) username!: string;
  @Column({ type: 'varchar', length: 16, default: 'user' }) role!: UserRole;
  @Column({ name: 'is_active', type: 'boolean', default: true }) isActive!: boolean;
  /** argon2id; only admins signing in to the panel have one. Never leaves the users service. */
  @Column({ name: 'password_hash', type: 'text', nullable: true, select: false }) passwordHash!: string | null;
  /** Bumped to invalidate every access token issued before (logout everywhere, block). */
  @Column({ name: 'session_version', type: 'integer', default: 0 }) sessionVersion!: number;
  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true }) lastLoginAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
