import pgvector from 'pgvector';
import type { EmbeddingModelEntity } from './embedding-model.entity';

/** pgvector's HNSW indexes `vector` up to 2000 dimensions and `halfvec` up to 4000. */
export const MAX_VECTOR_INDEX_DIMENSIONS = 2000;
export const MAX_INDEXED_DIMENSIONS = 4000;

type IndexedModel = Pick<EmbeddingModelEntity, 'id' | 'dimensions'>;

/** The expression a model's partial index is built on; queries must repeat it to use the index. */
export function vectorCast(model: IndexedModel): string {
  const type = model.dimensions <= MAX_VECTOR_INDEX_DIMENSIONS ? 'vector' : 'halfvec';
  return `${type}(${checkedInt(model.dimensions)})`;
}

export function hnswIndexName(model: IndexedModel): string {
  return `embeddings_hnsw_${checkedInt(model.id)}`;
}

/** DDL of the per-model partial HNSW index (cosine distance). */
export function hnswIndexSql(model: IndexedModel, concurrently = true): string {
  const cast = vectorCast(model);
  const ops = cast.startsWith('vector') ? 'vector_cosine_ops' : 'halfvec_cosine_ops';
  return `CREATE INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF NOT EXISTS ${hnswIndexName(model)}
    ON embeddings USING hnsw ((embedding::${cast}) ${ops}) WHERE model_id = ${checkedInt(model.id)}`;
}

/** pgvector's text form of a vector (the `pgvector` package does the formatting). */
export function toVectorLiteral(vector: ArrayLike<number>): string {
  return pgvector.toSql(Array.from(vector)) as string;
}

/** Integers we splice into SQL (model ids, dimensions) are checked, never trusted. */
export function checkedInt(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`not a SQL-safe integer: ${value}`);
  return value;
}
