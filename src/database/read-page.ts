import type { DataSource } from 'typeorm';

/** A statement and its parameters. */
export interface Statement {
  sql: string;
  params?: unknown[];
}

/**
 * One page of rows and the total it is a page of, read in one snapshot. Read side by side on
 * two pooled connections, a write committed between the two could answer a total of 11 with
 * no rows (seen in a test: near-duplicates recorded while the list was read).
 */
export async function readPage<Row>(db: DataSource, page: Statement, count: Statement): Promise<{ rows: Row[]; total: number }> {
  return db.transaction('REPEATABLE READ', async (tx) => {
    const rows: Row[] = await tx.query(page.sql, page.params);
    const [counted]: Array<Record<string, string | number>> = await tx.query(count.sql, count.params);
    return { rows, total: Number(Object.values(counted)[0]) };
  });
}
