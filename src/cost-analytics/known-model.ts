import type { DataSource } from 'typeorm';
import { badRequest } from '../common/errors';

/** The embedding model registered under `name`, or a 400 naming the `model` field. */
export async function knownModel(db: DataSource, name: string): Promise<{ id: number; name: string }> {
  const [model] = await db.query(`SELECT id, name FROM embedding_models WHERE name = $1`, [name]);
  if (!model) throw badRequest('model', `${name} is not a known embedding model`);
  return model;
}
