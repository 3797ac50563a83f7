import { fromVectorSend, fromVectorSendRows } from '../../src/embeddings/binary-vectors';
import { driftStatistics, LOWEST_KEPT } from '../../src/compare/drift/drift-statistics';
import type { CompareRun } from '../../src/compare/runs/compare-runs';
import { RunProgress } from '../../src/compare/runs/run-progress';
import { effectiveStatus, queuedLongEnough, RUNNING_STALE_AFTER_MS } from '../../src/compare/runs/run-status';

/** pgvector's `vector_send`: uint16 dimensions, uint16 unused, big-endian float32 components. */
function vectorSend(components: number[]): Buffer {
  const bytes = Buffer.alloc(4 + 4 * components.length);
  bytes.writeUInt16BE(components.length, 0);
  components.forEach((value, i) => bytes.writeFloatBE(value, 4 + 4 * i));
  return bytes;
}

describe('binary vectors', () => {
  it('decodes vector_send bytes, one row or a page of rows', () => {
    expect(Array.from(fromVectorSend(vectorSend([1.5, -2, 0.25])))).toEqual([1.5, -2, 0.25]);
    const rows = fromVectorSendRows([vectorSend([1, 2]), vectorSend([3, 4]), vectorSend([-0.5, 8])], 2);
    expect(rows.map((row) => Array.from(row))).toEqual([
      [1, 2],
      [3, 4],
      [-0.5, 8],
    ]);
    // One buffer for the page; each row is a view of it.
    expect(rows[0].buffer).toBe(rows[2].buffer);
    expect(fromVectorSendRows([], 1536)).toEqual([]);
  });

  it('refuses a row whose dimensions are not the model’s', () => {
    expect(() => fromVectorSendRows([vectorSend([1, 2]), vectorSend([1, 2, 3])], 2)).toThrow('stored vector has 3 dimensions, expected 2');
  });
});

describe('driftStatistics', () => {
  const sample = (similarities: number[]) => similarities.map((similarity, i) => ({ qaPairId: `p${String(i).padStart(3, '0')}`, similarity }));

  it('summarises a stable sample: mean, min, nearest-rank 5th percentile', () => {
    // 100 pairs at 1 − k·1e-6: the 5th lowest is the p5.
    const stats = driftStatistics(sample(Array.from({ length: 100 }, (_, k) => 1 - k * 1e-6)), 0.999);
    expect(stats).toMatchObject({ sampleSize: 100, belowTolerance: 0, verdict: 'stable', tolerance: 0.999 });
    expect(stats.minSimilarity).toBeCloseTo(1 - 99e-6, 12);
    expect(stats.p5Similarity).toBeCloseTo(1 - 95e-6, 12);
    expect(stats.meanSimilarity).toBeCloseTo(1 - 49.5e-6, 12);
    expect(stats.lowest).toHaveLength(LOWEST_KEPT);
    expect(stats.lowest[0]).toEqual({ qaPairId: 'p099', similarity: stats.minSimilarity });
  });

  it('calls one pair below the tolerance drift, and an empty sample no data', () => {
    const stats = driftStatistics(sample([0.99999, 0.99998, 0.42]), 0.999);
    expect(stats).toMatchObject({ sampleSize: 3, belowTolerance: 1, verdict: 'drifted', minSimilarity: 0.42, p5Similarity: 0.42 });
    expect(driftStatistics([], 0.999)).toMatchObject({ sampleSize: 0, verdict: 'no_data', meanSimilarity: null, p5Similarity: null });
  });
});

describe('run status', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  const run = (status: CompareRun['status'], silentMs: number): CompareRun =>
    ({ status, error: null, heartbeatAt: new Date(now.getTime() - silentMs) }) as CompareRun;

  it('reads a silent running run, or a queued run without its job, as interrupted', () => {
    expect(effectiveStatus(run('running', 1_000), now).status).toBe('running');
    expect(effectiveStatus(run('running', RUNNING_STALE_AFTER_MS + 1), now)).toMatchObject({
      status: 'interrupted',
      error: expect.stringMatching(/stopped reporting/),
    });
    expect(effectiveStatus(run('queued', 60_000), now, true).status).toBe('queued');
    expect(effectiveStatus(run('queued', 60_000), now, undefined).status).toBe('queued');
    expect(effectiveStatus(run('queued', 60_000), now, false)).toMatchObject({
      status: 'interrupted',
      error: expect.stringMatching(/Redis lost it/),
    });
    expect(effectiveStatus(run('completed', 10 * RUNNING_STALE_AFTER_MS), now).status).toBe('completed');
    expect(queuedLongEnough(run('queued', 1_000), now)).toBe(false);
    expect(queuedLongEnough(run('queued', 60_000), now)).toBe(true);
  });
});

describe('RunProgress', () => {
  it('writes the latest progress on its timer, never moving backwards', async () => {
    jest.useFakeTimers();
    try {
      const writes: Array<[number, string]> = [];
      const progress = new RunProgress(
        async (fraction, phase) => void writes.push([fraction, phase]),
        () => undefined,
      );
      progress.start();
      progress.report(0.2, 'loading');
      progress.report(0.3, 'loading');
      await jest.advanceTimersByTimeAsync(1_000);
      progress.report(0.1, 'searching');
      await jest.advanceTimersByTimeAsync(1_000);
      await progress.stop();
      await jest.advanceTimersByTimeAsync(5_000);
      expect(writes).toEqual([
        [0.3, 'loading'],
        [0.3, 'searching'],
      ]);
    } finally {
      jest.useRealTimers();
    }
  });
});
