import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** A pg client's query, enough of it for a named statement. */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * A statement PostgreSQL parses and plans once per connection, then only executes. The
 * ledger write and the report queries are long CTEs whose planning costs more than their
 * execution; TypeORM's `query` cannot name a statement, so this goes to the pool's client.
 */
export class PreparedStatement<Row> {
  private readonly name: string;

  constructor(readonly text: string) {
    this.name = `cost_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  }

  async run(db: DataSource, values: unknown[]): Promise<Row[]> {
    const runner = db.createQueryRunner();
    try {
      const client = (await runner.connect()) as PgClient;
      return (await client.query({ name: this.name, text: this.text, values })).rows as Row[];
    } finally {
      await runner.release();
    }
  }
}
