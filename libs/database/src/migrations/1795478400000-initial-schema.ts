import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users and their refresh-token sessions. */
export class InitialSchema1795478400000 implements MigrationInterface {
  name = 'InitialSchema1795478400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(254) NULL,
        phone varchar(16) NULL,
        username varchar(30) NOT NULL,
        role varchar(16) NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
        is_active boolean NOT NULL DEFAULT true,
        password_hash text NULL,
        session_version integer NOT NULL DEFAULT 0,
        last_login_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_identifier_present CHECK (email IS NOT NULL OR phone IS NOT NULL)
      )`);
    await db.query(`CREATE UNIQUE INDEX users_email_key ON users (email) WHERE email IS NOT NULL`);
    await db.query(`CREATE UNIQUE INDEX users_phone_key ON users (phone) WHERE phone IS NOT NULL`);
    await db.query(`CREATE UNIQUE INDEX users_username_key ON users (lower(username))`);
    await db.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash char(64) NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz NULL,
        revoked_reason varchar(32) NULL,
        user_agent varchar(512) NULL,
        ip varchar(64) NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)`);
    await db.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await db.query(`CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id, created_at DESC)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE refresh_tokens`);
    await db.query(`DROP TABLE users`);
  }
}
