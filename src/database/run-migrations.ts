import type { DataSource } from 'typeorm';

/** Any constant shared by every process of the service. */
const MIGRATION_LOCK = 716_300_001;

/**
 * Runs pending migrations under a session advisory lock, so several processes starting
 * at once migrate exactly once and the others wait for the schema to be ready.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock($1)`, [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query(`SELECT pg_advisory_unlock($1)`, [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
