import { retryDelayMs } from '../../src/common/jobs/backoff';
import { embeddingJobId, parseEmbeddingJobId, postponedJobId, qaPairIdOfJobId, toBullPriority } from '../../src/queue/embedding-job';
import { MicroBatcher, type Settled } from '../../src/queue/micro-batcher';
import { packBatches } from '../../src/embeddings/batch-packing';

describe('retryDelayMs', () => {
  const settings = { baseMs: 1000, capMs: 60_000 };

  it('doubles per attempt with equal jitter: between half and all of base·2^(n−1)', () => {
    expect(retryDelayMs(1, settings, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(1, settings, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(3, settings, undefined, () => 0)).toBe(2000);
    expect(retryDelayMs(3, settings, undefined, () => 1)).toBe(4000);
  });

  it('caps the delay, but never below what the provider asked', () => {
    expect(retryDelayMs(30, settings, undefined, () => 1)).toBe(60_000);
    expect(retryDelayMs(1, settings, 90_000, () => 0)).toBe(90_000);
    expect(retryDelayMs(4, settings, 10, () => 0)).toBe(4000);
  });
});

describe('job ids and priorities', () => {
  it('derives the same id from the same pair, model and content', () => {
    const hash = 'a'.repeat(64);
    expect(embeddingJobId('p1', 'm', hash)).toBe(embeddingJobId('p1', 'm', hash));
    expect(embeddingJobId('p1', 'm', hash)).not.toBe(embeddingJobId('p1', 'm', 'b'.repeat(64)));
    expect(embeddingJobId('p1', 'm', hash)).toBe(`p1:m:${'a'.repeat(16)}`);
  });

  it('parses ids back unambiguously, whatever colons the model name holds', () => {
    const pair = '5b0e0d8a-3c1f-4b8e-9a57-0c0f6c1f2e11';
    const hash = '0123456789abcdef'.repeat(4);
    for (const model of ['text-embedding-3-small', 'ft:text-embedding-3-small:acme:0123456789abcdef', 'a:postponed', 'x']) {
      const id = embeddingJobId(pair, model, hash);
      expect(parseEmbeddingJobId(id)).toEqual({ qaPairId: pair, model, hashPrefix: hash.slice(0, 16), postponed: false });
      expect(parseEmbeddingJobId(postponedJobId(id))).toEqual({ qaPairId: pair, model, hashPrefix: hash.slice(0, 16), postponed: true });
      expect(postponedJobId(postponedJobId(id))).toBe(id);
      expect(qaPairIdOfJobId(postponedJobId(id))).toBe(pair);
    }
    for (const bad of [
      '',
      'nope',
      `${pair}:m`,
      `${pair}::0123456789abcdef`,
      `not-a-uuid-at-all-0000000000000000000:m:0123456789abcdef`,
      `${pair}:m:0123456789ABCDEX`,
    ]) {
      expect(parseEmbeddingJobId(bad)).toBeNull();
    }
  });

  it('maps our 100 (most urgent) to Bull 1 and our 1 to Bull 100, and refuses the rest', () => {
    expect(toBullPriority(100)).toBe(1);
    expect(toBullPriority(1)).toBe(100);
    expect(toBullPriority(90)).toBeLessThan(toBullPriority(10));
    expect(() => toBullPriority(0)).toThrow(RangeError);
    expect(() => toBullPriority(1.5)).toThrow(RangeError);
  });
});

describe('packBatches', () => {
  it('keeps order and splits under both the input and the token limit', () => {
    const items = [5, 5, 5, 20, 1, 1, 1].map((tokens, i) => ({ i, tokens }));
    const groups = packBatches(items, { maxInputs: 3, maxTokens: 20 });
    expect(groups.map((group) => group.map((item) => item.i))).toEqual([[0, 1, 2], [3], [4, 5, 6]]);
  });

  it('gives an item over the token limit a group of its own', () => {
    const groups = packBatches([{ tokens: 1 }, { tokens: 50 }, { tokens: 1 }], { maxInputs: 10, maxTokens: 10 });
    expect(groups.map((group) => group.length)).toEqual([1, 1, 1]);
  });
});

describe('MicroBatcher', () => {
  const echo =
    (calls: string[][]) =>
    async (key: string, items: string[]): Promise<Settled<string>[]> => {
      calls.push(items);
      return items.map((item) => ({ ok: true, value: `${key}:${item}` }));
    };

  it('flushes at the batch size and answers each item', async () => {
    const calls: string[][] = [];
    const batcher = new MicroBatcher<string, string>({ maxSize: 3, quietMs: 60_000, maxWaitMs: 60_000, capacity: 100, flush: echo(calls) });
    const results = await Promise.all(['a', 'b', 'c'].map((item) => batcher.submit('m', item)));
    expect(results).toEqual(['m:a', 'm:b', 'm:c']);
    expect(calls).toEqual([['a', 'b', 'c']]);
  });

  it('flushes when every slot is waiting, without waiting for the timer', async () => {
    const calls: string[][] = [];
    const batcher = new MicroBatcher<string, string>({ maxSize: 100, quietMs: 60_000, maxWaitMs: 60_000, capacity: 2, flush: echo(calls) });
    await Promise.all([batcher.submit('m', 'a'), batcher.submit('m', 'b')]);
    expect(calls).toEqual([['a', 'b']]);
  });

  it('flushes a lone item after the wait, and keeps keys apart', async () => {
    const calls: string[][] = [];
    const batcher = new MicroBatcher<string, string>({ maxSize: 100, quietMs: 5, maxWaitMs: 5, capacity: 100, flush: echo(calls) });
    const results = await Promise.all([batcher.submit('x', 'a'), batcher.submit('y', 'b')]);
    expect(results).toEqual(['x:a', 'y:b']);
    expect(calls).toEqual([['a'], ['b']]);
  });

  it('keeps a batch open while items keep arriving within the quiet gap, up to the longest wait', async () => {
    const calls: string[][] = [];
    const batcher = new MicroBatcher<string, string>({ maxSize: 100, quietMs: 30, maxWaitMs: 10_000, capacity: 100, flush: echo(calls) });
    const submitted: Promise<string>[] = [];
    for (const item of ['a', 'b', 'c']) {
      submitted.push(batcher.submit('m', item));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(submitted);
    expect(calls).toEqual([['a', 'b', 'c']]);

    const capped = new MicroBatcher<string, string>({ maxSize: 100, quietMs: 50, maxWaitMs: 0, capacity: 100, flush: echo(calls) });
    await Promise.all([capped.submit('m', 'x'), new Promise((resolve) => setTimeout(resolve, 20)).then(() => capped.submit('m', 'y'))]);
    expect(calls.slice(1)).toEqual([['x'], ['y']]);
  });

  it('waits on past the quiet gap while a backlog is waiting upstream, up to the longest wait', async () => {
    const calls: string[][] = [];
    let backlog = true;
    const batcher = new MicroBatcher<string, string>({
      maxSize: 100,
      quietMs: 5,
      maxWaitMs: 10_000,
      capacity: 100,
      flush: echo(calls),
      hasBacklog: async () => backlog,
    });
    const first = batcher.submit('m', 'a');
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(calls).toEqual([]);
    const second = batcher.submit('m', 'b');
    backlog = false;
    await Promise.all([first, second]);
    expect(calls).toEqual([['a', 'b']]);
  });

  it('rejects each item with its own error, and every item when the flush throws', async () => {
    const partial = new MicroBatcher<number, number>({
      maxSize: 2,
      quietMs: 5,
      maxWaitMs: 5,
      capacity: 10,
      flush: async (_key, items) => items.map((n) => (n % 2 ? { ok: true, value: n } : { ok: false, error: new Error(`even ${n}`) })),
    });
    await expect(Promise.all([partial.submit('k', 1), partial.submit('k', 2).catch((e: Error) => e.message)])).resolves.toEqual([1, 'even 2']);
    const broken = new MicroBatcher<number, number>({
      maxSize: 2,
      quietMs: 5,
      maxWaitMs: 5,
      capacity: 10,
      flush: async () => {
        throw new Error('down');
      },
    });
    const outcomes = await Promise.allSettled([broken.submit('k', 1), broken.submit('k', 2)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });

  it('drain() waits for batches in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const batcher = new MicroBatcher<number, number>({
      maxSize: 1,
      quietMs: 5,
      maxWaitMs: 5,
      capacity: 10,
      flush: async (_key, items) => {
        await gate;
        finished = true;
        return items.map((n) => ({ ok: true, value: n }));
      },
    });
    const pending = batcher.submit('k', 1);
    const drained = batcher.drain();
    release();
    await drained;
    expect(finished).toBe(true);
    await expect(pending).resolves.toBe(1);
  });
});
