import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Webhook endpoints and the delivery outbox (one row per event and endpoint, retried until delivered or dead). */
export class Webhooks1795650000000 implements MigrationInterface {
  name = 'Webhooks1795650000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        url varchar(2048) NOT NULL,
        events jsonb NOT NULL DEFAULT '[]',
        secret text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        source varchar(16) NOT NULL DEFAULT 'operator' CHECK (source IN ('config', 'operator')),
        description varchar(200) NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE webhook_deliveries (
        id varchar(40) PRIMARY KEY,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        type varchar(64) NOT NULL,
        payload text NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_status int NULL,
        last_error varchar(300) NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz NULL
      )`);
    // The dispatcher's query: what is due.
    await db.query(`CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await db.query(`CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE webhook_deliveries`);
    await db.query(`DROP TABLE webhook_endpoints`);
  }
}
