import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys of creates. A key is written in the same transaction as the rows it
 * created, with the answer given, so a retry after any failure either finds both or
 * neither. Scoped per client: `client_hash` is the SHA-256 of the API key (never the key).
 */
export class IdempotencyKeys1765100000100 implements MigrationInterface {
  name = 'IdempotencyKeys1765100000100';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE idempotency_keys (
        client_hash text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        status_code integer,
        response jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (client_hash, key)
      )`);
    await db.query(`CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE idempotency_keys`);
  }
}
