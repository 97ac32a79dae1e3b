import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Asymmetric signing keys: public JWK, private key encrypted at rest, and their rotation state. */
export class SigningKeys1795640000000 implements MigrationInterface {
  name = 'SigningKeys1795640000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE signing_keys (
        kid varchar(64) PRIMARY KEY,
        algorithm varchar(8) NOT NULL CHECK (algorithm IN ('ES256', 'RS256')),
        state varchar(16) NOT NULL CHECK (state IN ('next', 'current', 'previous', 'retired')),
        public_jwk jsonb NOT NULL,
        private_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz NULL,
        deactivated_at timestamptz NULL,
        retired_at timestamptz NULL
      )`);
    // At most one key signs, and at most one waits to.
    await db.query(`CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current'`);
    await db.query(`CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE signing_keys`);
  }
}
