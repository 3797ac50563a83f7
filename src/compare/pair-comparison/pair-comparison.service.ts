import { Injectable } from '@nestjs/common';
import { conflict, notFound } from '../../common/errors';
import { EmbeddingModelsService } from '../../embeddings/embedding-models.service';
import { EmbeddingStore } from '../../embeddings/embedding-store';
import { EmbeddingVectors, type PairWithVector } from '../../embeddings/embedding-vectors';
import { cosineSimilarity } from '../near-duplicates/cosine-similarity';
import { chooseModel } from './model-choice';

export type ComparedPair = Omit<PairWithVector, 'vector'>;

export interface PairComparison {
  model: string;
  similarity: number;
  a: ComparedPair;
  b: ComparedPair;
}

/** How similar two QA pairs are under a model, from their current embeddings. */
@Injectable()
export class PairComparisonService {
  constructor(
    private readonly models: EmbeddingModelsService,
    private readonly vectors: EmbeddingVectors,
    private readonly store: EmbeddingStore,
  ) {}

  /** 404 for an unknown pair; 409 naming each pair without a current embedding under the model. */
  async compare(idA: string, idB: string, modelName?: string): Promise<PairComparison> {
    const model = await chooseModel(this.models, modelName);
    const pairs = await this.vectors.pairsWithVectors(model, [idA, idB]);
    const a = pairs.get(idA);
    const b = pairs.get(idB);
    if (!a) throw notFound('QA pair', idA);
    if (!b) throw notFound('QA pair', idB);
    const missing = [...new Set([a, b].filter((pair) => pair.vector === null).map((pair) => pair.id))];
    if (missing.length > 0) {
      const statuses = await this.store.statuses(model.id, missing);
      const states = missing.map((id) => ({ qaPairId: id, state: statuses.get(id)?.state ?? 'pending' }));
      throw conflict(`${states.map((s) => `QA pair ${s.qaPairId} has no current embedding under ${model.name} (${s.state})`).join('; ')}`, {
        model: model.name,
        pairs: states,
      });
    }
    const { vector: vectorA, ...pairA } = a;
    const { vector: vectorB, ...pairB } = b;
    return { model: model.name, similarity: cosineSimilarity(vectorA!, vectorB!), a: pairA, b: pairB };
  }
}
