import { cosineSimilarity } from '../../src/compare/near-duplicates/cosine-similarity';
import { findNearDuplicates } from '../../src/compare/near-duplicates/find-near-duplicates';
import { featureHashingVector } from '../../src/embeddings/providers/feature-hashing';
import { round, type BenchContext } from '../support/benchmark';
import { loadQuoraQuestionPairs, sharedDataDir } from '../support/quora-question-pairs';

const DIMENSIONS = 1536;

/**
 * Precision and recall of "similarity ≥ threshold" as a duplicate detector on the labelled
 * Quora question pairs: every distinct question is embedded offline, the whole set is scanned
 * for near-duplicates, and each labelled pair counts as predicted duplicate when the scan
 * reported it. Skipped when the shared data is not beside the checkout.
 */
export async function quoraThresholdQuality(
  threshold: number,
  context: BenchContext,
): Promise<{ figures: Record<string, number>; notes: Record<string, string> }> {
  const dataDir = sharedDataDir();
  const data = dataDir && loadQuoraQuestionPairs(dataDir);
  if (!data) return { figures: {}, notes: { quora: 'skipped: ../shared/data/quora-question-pairs-10k not found' } };

  const entries = [...data.questions].map(([qid, text]) => ({ id: qid, vector: featureHashingVector(text, DIMENSIONS) }));
  const started = performance.now();
  const found = await findNearDuplicates(entries, { threshold });
  const scanSeconds = (performance.now() - started) / 1000;
  const reported = new Set(found.map((pair) => `${pair.idA},${pair.idB}`));
  const vectors = new Map(entries.map((entry) => [entry.id, entry.vector]));

  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  let agreesWithExact = 0;
  for (const { qid1, qid2, isDuplicate } of data.pairs) {
    const predicted = reported.has(qid1 < qid2 ? `${qid1},${qid2}` : `${qid2},${qid1}`);
    if (predicted && isDuplicate) truePositives++;
    else if (predicted) falsePositives++;
    else if (isDuplicate) falseNegatives++;
    const exact = cosineSimilarity(vectors.get(qid1)!, vectors.get(qid2)!) >= threshold;
    if (exact === predicted) agreesWithExact++;
  }
  context.log(`quora: ${entries.length} questions scanned in ${round(scanSeconds, 2)} s, ${found.length} pairs`);
  return {
    figures: {
      quora_precision: round(truePositives / Math.max(1, truePositives + falsePositives), 4),
      quora_recall: round(truePositives / Math.max(1, truePositives + falseNegatives), 4),
      quora_pairs: data.pairs.length,
      quora_scan_agrees_with_exact: round(agreesWithExact / data.pairs.length, 5),
    },
    notes: {
      quora:
        `${data.pairs.length} labelled pairs of Quora Question Pairs (first 9,998 rows), ${entries.length} distinct questions embedded ` +
        `with the offline featureHashingVector (${DIMENSIONS} dims) and scanned at ≥ ${threshold}; ${found.length} pairs reported in all. ` +
        'This measures the plumbing (scan + threshold on real text), not semantics: hashed bag-of-words vectors only find ' +
        'near-identical wording. quora_scan_agrees_with_exact: share of labelled pairs where the scan and an exact cosine agree.',
    },
  };
}
