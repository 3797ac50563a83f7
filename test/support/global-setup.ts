import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createMigratedDatabase } from './test-database';
import { TEST_PG_ADMIN_URL, templateDatabaseName } from './test-env';

/**
 * Runs once per Jest run: picks a run id and migrates a template database that every
 * test file clones (CREATE DATABASE … TEMPLATE), so files never share tables.
 */
export default async function globalSetup(): Promise<void> {
  process.env.EMB_TEST_RUN_ID ??= randomBytes(4).toString('hex');
  const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${templateDatabaseName()}`);
  } finally {
    await admin.end();
  }
  await createMigratedDatabase(templateDatabaseName());
}
