import OpenAI, { toFile } from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../../tools/fake-openai';

const KEY = 'sk-fake-batches';

/** The fake's Files and Batch APIs, driven by the real openai SDK. */
describe('fake OpenAI Batch API through the openai SDK', () => {
  let fake: FakeOpenAI;
  let openai: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKeys: [KEY] });
    openai = new OpenAI({ apiKey: KEY, baseURL: fake.baseURL, maxRetries: 0 });
  });
  afterAll(() => fake.close());
  afterEach(() => fake.reset());

  const line = (customId: string, input: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      custom_id: customId,
      method: 'POST',
      url: '/v1/embeddings',
      body: { model: 'text-embedding-3-small', input: [input] },
      ...extra,
    });
  const upload = async (lines: string[]) => openai.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'in.jsonl'), purpose: 'batch' });
  const create = async (lines: string[]) =>
    openai.batches.create({
      input_file_id: (await upload(lines)).id,
      endpoint: '/v1/embeddings',
      completion_window: '24h',
      metadata: { mine: 'yes' },
    });
  const until = async (id: string, done: (status: string) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const batch = await openai.batches.retrieve(id);
      if (done(batch.status)) return batch;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('batch never finished');
  };
  const lines = async (fileId: string) =>
    (await (await openai.files.content(fileId)).text())
      .split('\n')
      .filter(Boolean)
      .map((text) => JSON.parse(text) as { custom_id: string; response: { status_code: number; body: { usage?: { prompt_tokens: number } } } });

  it('runs a batch to completion: an output line per request with its usage, billed once', async () => {
    fake.configure({ batches: { completionMs: 50 } });
    const created = await create([line('a', 'hello there'), line('b', 'general kenobi')]);
    expect(created).toMatchObject({ status: 'validating', endpoint: '/v1/embeddings', metadata: { mine: 'yes' } });
    const done = await until(created.id, (status) => status === 'completed');
    expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    const output = await lines(done.output_file_id!);
    expect(output.map((entry) => entry.custom_id)).toEqual(['a', 'b']);
    expect(output.every((entry) => entry.response.status_code === 200 && entry.response.body.usage!.prompt_tokens > 0)).toBe(true);
    const tokens = output.reduce((sum, entry) => sum + entry.response.body.usage!.prompt_tokens, 0);
    // Reading it again bills nothing more.
    await openai.batches.retrieve(created.id);
    expect(fake.stats().batches).toMatchObject({ requests: 2, inputs: 2, tokens });
    expect((await openai.batches.list()).data[0].id).toBe(created.id);
  });

  it('fails validation as OpenAI words it: a bad JSON line, a wrong URL, a duplicate custom_id; and when told to', async () => {
    const failed = await until(
      (await create([line('a', 'x'), '{oops', line('a', 'y'), line('c', 'z', { url: '/v1/chat/completions' })])).id,
      (s) => s === 'failed',
    );
    expect(failed.errors!.data!.map((error) => [error.code, error.line])).toEqual([
      ['invalid_json_line', 2],
      ['duplicate_custom_id', 3],
      ['mismatched_endpoint', 4],
    ]);
    fake.configure({ batches: { failValidation: 1 } });
    expect((await until((await create([line('a', 'x')])).id, (s) => s !== 'validating' && s !== 'in_progress')).status).toBe('failed');
    expect(fake.stats().batches.tokens).toBe(0);
    const wrongEndpoint = await openai.batches
      .create({ input_file_id: (await upload([line('a', 'x')])).id, endpoint: '/v1/images' as '/v1/embeddings', completion_window: '24h' })
      .catch((error: unknown) => error);
    expect(wrongEndpoint).toMatchObject({ status: 400, message: expect.stringMatching(/Invalid value: '\/v1\/images'/) });
  });

  it('expires with partial output, writes per-line errors to the error file, and cancels with what it finished', async () => {
    const ten = Array.from({ length: 10 }, (_, i) => line(`r${i}`, `text number ${i}`));
    fake.configure({ batches: { completionMs: 50, expire: 1, expireAtShare: 0.3 } });
    const expired = await until((await create(ten)).id, (s) => s === 'expired');
    expect(expired.request_counts).toEqual({ total: 10, completed: 3, failed: 0 });
    expect((await lines(expired.output_file_id!)).map((entry) => entry.custom_id)).toEqual(['r0', 'r1', 'r2']);

    fake.configure({ batches: { completionMs: 50, lineErrorEvery: 4, lineErrorStatus: 400 } });
    const withErrors = await until((await create(ten)).id, (s) => s === 'completed');
    expect(withErrors.request_counts).toEqual({ total: 10, completed: 8, failed: 2 });
    const errors = await lines(withErrors.error_file_id!);
    expect(errors.map((entry) => [entry.custom_id, entry.response.status_code])).toEqual([
      ['r3', 400],
      ['r7', 400],
    ]);

    fake.configure({ batches: { completionMs: 60_000, lineErrorEvery: 0 } });
    const slow = await create(ten);
    expect((await openai.batches.retrieve(slow.id)).status).toBe('in_progress');
    const cancelled = await openai.batches.cancel(slow.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', request_counts: { total: 10, completed: 0, failed: 0 } });
    expect(await openai.batches.cancel(slow.id).catch((error: unknown) => (error as { status: number }).status)).toBe(409);
  });

  it('refuses uploads that are not batch files, and unknown ids', async () => {
    const bad = await openai.files.create({ file: await toFile(Buffer.from('x'), 'a.txt'), purpose: 'assistants' }).catch((error: unknown) => error);
    expect(bad).toMatchObject({ status: 400, message: expect.stringMatching(/purpose/) });
    expect(await openai.batches.retrieve('batch_nope').catch((error: unknown) => (error as { status: number }).status)).toBe(404);
    expect(await openai.files.retrieve('file-nope').catch((error: unknown) => (error as { status: number }).status)).toBe(404);
    const unauthorised = new OpenAI({ apiKey: 'sk-wrong', baseURL: fake.baseURL, maxRetries: 0 });
    expect(await unauthorised.batches.list().catch((error: unknown) => (error as { status: number }).status)).toBe(401);
  });
});
