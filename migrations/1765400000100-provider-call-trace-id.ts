import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A provider call records the OpenTelemetry trace it was made in (the create, search or
 * migration that spent the tokens), null when tracing was off. Not indexed: nothing in the
 * service looks calls up by trace; the trace id is read from a row, to open its trace.
 */
export class ProviderCallTraceId1765400000100 implements MigrationInterface {
  name = 'ProviderCallTraceId1765400000100';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE provider_calls ADD COLUMN trace_id text CHECK (trace_id ~ '^[0-9a-f]{32}$')`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE provider_calls DROP COLUMN IF EXISTS trace_id`);
  }
}
