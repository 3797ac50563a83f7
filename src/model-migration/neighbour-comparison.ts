import { Injectable } from '@nestjs/common';
import { EmbeddingCoverage } from '../embeddings/embedding-coverage';
import type { EmbeddingModelEntity } from '../embeddings/embedding-model.entity';
import { VectorSearch } from '../embeddings/vector-search';
import type { NeighbourComparison } from './migration-types';

const K = 10;
const LOWEST_SHOWN = 5;

/**
 * Old vs new on a sample: each sampled pair's stored vector is the query, under each model
 * through that model's index; the overlap is the share of the 10 nearest other pairs both
 * models agree on. Information for the cutover decision, not a gate: 1 means the new model
 * ranks neighbourhoods as the old one did, lower means it sees the knowledge base differently.
 * Uses stored vectors only, so it spends no tokens.
 */
@Injectable()
export class NeighbourComparer {
  constructor(
    private readonly coverage: EmbeddingCoverage,
    private readonly search: VectorSearch,
  ) {}

  async compare(from: EmbeddingModelEntity, to: EmbeddingModelEntity, sampleSize: number): Promise<NeighbourComparison> {
    const [sample, counts] = await Promise.all([this.coverage.sample(from.id, to.id, sampleSize), this.coverage.counts(to.id)]);
    const overlaps: Array<{ qaPairId: string; overlap: number }> = [];
    for (const pair of sample) {
      const [before, after] = await Promise.all([this.neighbours(from, pair.source, pair.qaPairId), this.neighbours(to, pair.target, pair.qaPairId)]);
      const shared = [...after].filter((id) => before.has(id)).length;
      // Below K + 1 pairs in all, both lists are shorter than K.
      const listed = Math.max(before.size, after.size);
      overlaps.push({ qaPairId: pair.qaPairId, overlap: listed === 0 ? 1 : shared / listed });
    }
    overlaps.sort((a, b) => a.overlap - b.overlap);
    const sorted = overlaps.map((o) => o.overlap);
    const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    return {
      k: K,
      sampleSize: overlaps.length,
      meanOverlap: round(sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length)),
      medianOverlap: round(at(0.5)),
      p10Overlap: round(at(0.1)),
      minOverlap: round(sorted[0] ?? 0),
      targetCoverage: round(counts.total === 0 ? 1 : counts.completed / counts.total),
      computedAt: new Date().toISOString(),
      lowest: overlaps.slice(0, LOWEST_SHOWN).map((o) => ({ ...o, overlap: round(o.overlap) })),
    };
  }

  /** The K nearest other pairs (the query pair itself excluded). */
  private async neighbours(model: EmbeddingModelEntity, vector: Float32Array, self: string): Promise<Set<string>> {
    const hits = await this.search.nearest(model, vector, K + 1);
    return new Set(
      hits
        .map((hit) => hit.id)
        .filter((id) => id !== self)
        .slice(0, K),
    );
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
