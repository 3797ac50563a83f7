/** Connection settings for the services the tests talk to (real PostgreSQL and Redis). */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A short id for this Jest run, set by global-setup; databases and Redis keys carry it. */
export function testRunId(): string {
  const id = process.env.EMB_TEST_RUN_ID;
  if (!id) throw new Error('EMB_TEST_RUN_ID is not set: run the tests through jest (global-setup sets it)');
  return id;
}

export function templateDatabaseName(): string {
  return `emb_t_${testRunId()}_tpl`;
}

export function databaseUrl(name: string): string {
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
