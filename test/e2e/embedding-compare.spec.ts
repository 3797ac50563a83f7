import { embeddingText } from '../../src/common/qa-content';
import { cosineSimilarity, DimensionMismatchError, EmptyVectorError } from '../../src/compare/near-duplicates/cosine-similarity';
import { featureHashingVector } from '../../src/embeddings/providers/feature-hashing';
import { ADMIN_KEY, waitFor } from '../support/test-app';
import { useTestApp } from '../support/test-context';
import type { DriftCheckDto } from '../../src/compare/dto/drift.dto';

type Text = { question: string; answer: string };

/** Planted near-duplicates under the fake's feature-hashing vectors (cosines computed from the texts). */
const PLANTED: Record<string, Text> = {
  invoice: {
    question: 'How do I export my invoices as a PDF file?',
    answer: 'Open Billing, choose Invoices, select the months you need and press Export; the PDF arrives by email within a few minutes.',
  },
  // Same words, other case and punctuation: cosine 1.
  invoiceCopy: {
    question: 'how do I export my invoices as a pdf file',
    answer: 'Open billing, choose invoices, select the months you need and press export. The PDF arrives by email within a few minutes!',
  },
  // One word changed: 0.9695 to both above.
  invoiceReworded: {
    question: 'How do I export my invoices as a PDF file?',
    answer: 'Open Billing, choose Invoices, select the months you want and press Export; the PDF arrives by email within a few minutes.',
  },
  seats: {
    question: 'Can I add more seats to my team plan in the middle of a billing cycle?',
    answer: 'Yes: new seats are charged pro rata for the rest of the cycle and appear on your next invoice.',
  },
  // 0.9735 to `seats`.
  seatsReworded: {
    question: 'Can I add more seats to my team plan in the middle of a billing cycle?',
    answer: 'Yes: new seats are billed pro rata for the rest of the cycle and appear on your next invoice.',
  },
  vpn: {
    question: 'Why does the desktop app not connect through my company VPN?',
    answer: 'The app needs outbound access on port 443 to our servers; ask your administrator to allow that host in the VPN settings.',
  },
  // A near miss: 0.9420 to `vpn`, below the 0.95 threshold.
  vpnNearMiss: {
    question: 'Why does the mobile app not connect through my company VPN?',
    answer: 'The app needs outbound access on port 443 to our servers; ask your administrator to allow that domain in the VPN settings.',
  },
  // 0.74 to the invoice group.
  csv: {
    question: 'How do I export my invoices as a CSV file?',
    answer: 'Open Billing, choose Invoices, select the months you need and press Export as CSV; the file downloads at once.',
  },
  password: { question: 'How do I change my password?', answer: 'Go to Settings, then Security, and choose Change password.' },
};

describe('embedding comparison tools', () => {
  const t = useTestApp();

  /** Creates pairs of one category and waits until all are embedded; returns their ids by name. */
  async function createEmbedded(texts: Record<string, Text>, category: string): Promise<Record<string, string>> {
    const names = Object.keys(texts);
    const response = await t.app.request('POST', '/api/v1/qa-pairs/bulk', { body: { items: names.map((name) => ({ ...texts[name], category })) } });
    expect(response.status).toBe(201);
    const ids: string[] = response.body.items.map((item: { id: string }) => item.id);
    await waitFor(async () => {
      const [row] = await t.db.query(`SELECT count(*) AS n FROM embeddings WHERE qa_pair_id = ANY($1::uuid[])`, [ids]);
      return Number(row.n) === ids.length;
    });
    return Object.fromEntries(names.map((name, i) => [name, ids[i]]));
  }

  it('calculates cosine similarity as computed by hand', () => {
    // [1,2,3]·[4,5,6] = 32; |a| = √14, |b| = √77 → 32 / √1078.
    expect(cosineSimilarity([1, 2, 3], [4, 5, 6])).toBeCloseTo(0.9746318461970762, 15);
    expect(cosineSimilarity([3, 4], [4, 3])).toBeCloseTo(24 / 25, 15);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([2, 2], [-1, -1])).toBeCloseTo(-1, 15);
    expect(cosineSimilarity([1, 2], [10, 20])).toBeCloseTo(1, 15);
    expect(cosineSimilarity(new Float32Array([0.5, 0.5, 0.5, 0.5]), [1, 0, 0, 0])).toBeCloseTo(0.5, 15);
    expect(cosineSimilarity([0, 0, 0], [1, 2, 3])).toBe(0);
    expect(() => cosineSimilarity([1, 2], [1, 2, 3])).toThrow(DimensionMismatchError);
    expect(() => cosineSimilarity([], [])).toThrow(EmptyVectorError);
  });

  it('compares two QA pairs under the active model', async () => {
    const texts = {
      a: { question: 'What is the refund window?', answer: 'You can ask for a refund within 30 days of purchase.' },
      b: { question: 'How long do I have to request a refund?', answer: 'Refunds are possible for 30 days after you buy.' },
    };
    const ids = await createEmbedded(texts, 'refunds');
    // The fake embeds with feature hashing at 1536 dimensions (variant 0, no noise): the expected cosine, by hand.
    const expected = cosineSimilarity(
      featureHashingVector(embeddingText(texts.a.question, texts.a.answer), 1536),
      featureHashingVector(embeddingText(texts.b.question, texts.b.answer), 1536),
    );

    const byQuery = await t.app.request('GET', `/api/v1/compare/pairs?idA=${ids.a}&idB=${ids.b}`);
    expect(byQuery.status).toBe(200);
    expect(byQuery.body.model).toBe('text-embedding-3-small');
    expect(byQuery.body.similarity).toBeCloseTo(expected, 6);
    expect(byQuery.body.a).toEqual({ id: ids.a, category: 'refunds', ...texts.a });
    expect(byQuery.body.b).toEqual({ id: ids.b, category: 'refunds', ...texts.b });

    const byBody = await t.app.request('POST', '/api/v1/compare/pairs', { body: { idA: ids.b, idB: ids.a, model: 'text-embedding-3-small' } });
    expect(byBody.status).toBe(200);
    expect(byBody.body.similarity).toBe(byQuery.body.similarity);
    expect(byBody.body.a.id).toBe(ids.b);
  });

  it('finds planted near-duplicates through the API, each pair once, and not distinct pairs', async () => {
    const ids = await createEmbedded(PLANTED, 'planted');
    const response = await t.app.request('POST', '/api/v1/compare/near-duplicates', { body: { category: 'planted', cluster: true } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      mode: 'in-request',
      model: 'text-embedding-3-small',
      threshold: 0.95,
      vectors: 9,
      totalPairs: 4,
      truncated: false,
    });

    const ordered = (x: string, y: string) => (x < y ? [x, y] : [y, x]);
    const expected = [
      [...ordered(ids.invoice, ids.invoiceCopy), 1],
      [...ordered(ids.seats, ids.seatsReworded), 0.9735],
      [...ordered(ids.invoice, ids.invoiceReworded), 0.9695],
      [...ordered(ids.invoiceCopy, ids.invoiceReworded), 0.9695],
    ];
    const found = response.body.pairs.map((p: { idA: string; idB: string; similarity: number }) => [p.idA, p.idB, p.similarity]);
    expect(found).toHaveLength(4);
    expect(found.slice(0, 2)).toEqual([
      [expected[0][0], expected[0][1], expect.closeTo(1, 6)],
      [expected[1][0], expected[1][1], expect.closeTo(0.9735, 4)],
    ]);
    // The two 0.9695 pairs tie; ties are ordered by ids.
    expect(
      found
        .slice(2)
        .map((p: unknown[]) => p.slice(0, 2))
        .sort(),
    ).toEqual([expected[2].slice(0, 2), expected[3].slice(0, 2)].sort());
    for (const pair of found.slice(2)) expect(pair[2]).toBeCloseTo(0.9695, 4);
    const similarities = found.map((p: unknown[]) => p[2] as number);
    expect(similarities).toEqual([...similarities].sort((x, y) => y - x));

    const reported = new Set(found.flatMap((p: string[]) => [p[0], p[1]]));
    for (const name of ['vpn', 'vpnNearMiss', 'csv', 'password']) expect(reported.has(ids[name])).toBe(false);

    expect(response.body.totalClusters).toBe(2);
    expect(response.body.clusters).toEqual([[ids.invoice, ids.invoiceCopy, ids.invoiceReworded].sort(), [ids.seats, ids.seatsReworded].sort()]);

    // A lower threshold takes in the near miss, and only it.
    const lower = await t.app.request('POST', '/api/v1/compare/near-duplicates', { body: { category: 'planted', threshold: 0.94 } });
    expect(lower.body.totalPairs).toBe(5);
    expect(lower.body.pairs[4]).toEqual({
      idA: ordered(ids.vpn, ids.vpnNearMiss)[0],
      idB: ordered(ids.vpn, ids.vpnNearMiss)[1],
      similarity: expect.closeTo(0.942, 3),
    });
  });

  it('flags a model changed behind the same name as drifted, and not an unchanged one with call-to-call noise', async () => {
    // Real vectors differ slightly from call to call: noise on the stored vectors and on the fresh ones.
    t.fake.configure({ noise: 1e-4 });
    const texts = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [
        `p${i}`,
        { question: `Drift sample question ${i} about topic ${i % 7}?`, answer: `Answer ${i}: see section ${i % 5}.` },
      ]),
    );
    await createEmbedded(texts, 'drift');
    const ledgerRows = async () => Number((await t.db.query(`SELECT count(*) AS n FROM usage_ledger WHERE purpose = 'drift'`))[0].n);

    const check = async () => {
      const started = await t.app.request('POST', '/api/v1/compare/drift', { key: ADMIN_KEY, body: { sampleSize: 20 } });
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({ status: 'queued', sampleSize: 20, tolerance: 0.999, report: null });
      return waitFor(async () => {
        const polled = await t.app.request('GET', `/api/v1/compare/drift/${started.body.id}`);
        return polled.body.status === 'completed' || polled.body.status === 'failed' ? polled.body : null;
      });
    };

    const unchanged = await check();
    expect(unchanged.status).toBe('completed');
    expect(unchanged.report).toMatchObject({
      model: 'text-embedding-3-small',
      requestedSampleSize: 20,
      sampleSize: 20,
      belowTolerance: 0,
      verdict: 'stable',
    });
    expect(unchanged.report.minSimilarity).toBeGreaterThan(0.9999);
    expect(unchanged.report.minSimilarity).toBeLessThan(1);
    expect(unchanged.report.p5Similarity).toBeGreaterThanOrEqual(unchanged.report.minSimilarity);
    expect(unchanged.report.meanSimilarity).toBeGreaterThanOrEqual(unchanged.report.p5Similarity);
    expect(unchanged.report.tokens).toBeGreaterThan(0);
    expect(await ledgerRows()).toBe(20);

    t.fake.configure({ variants: { 'text-embedding-3-small': 1 } });
    try {
      const drifted = await check();
      expect(drifted.report).toMatchObject({ sampleSize: 20, belowTolerance: 20, verdict: 'drifted' });
      expect(drifted.report.meanSimilarity).toBeLessThan(0.5);
      expect(drifted.report.lowest[0].similarity).toBe(drifted.report.minSimilarity);
      expect(await ledgerRows()).toBe(40);
    } finally {
      t.fake.configure({ variants: { 'text-embedding-3-small': 0 }, noise: 0 });
    }

    const history = await t.app.request('GET', '/api/v1/compare/drift?limit=10');
    expect(history.body.items.map((item: DriftCheckDto) => item.report?.verdict)).toEqual(['drifted', 'stable']);
  });
});
