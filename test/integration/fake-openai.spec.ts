import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { transformFileSync } from '@swc/core';
import { getEncoding } from 'js-tiktoken';
import OpenAI, { APIConnectionTimeoutError, AuthenticationError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from 'openai';
import { FakeOpenAIControl, type FakeOpenAI, spawnFakeOpenAI, startFakeOpenAI } from '../../tools/fake-openai';
import { countTokens } from '../../src/embeddings/cl100k';
import { formatDuration } from '../../tools/fake-openai/duration';

const cl100k = getEncoding('cl100k_base');
const referenceTokens = (text: string) => cl100k.encode(text, [], []).length;

type ErrorBody = { error: { message: string; code: string | null } };

const SMALL = 'text-embedding-3-small';
const KEY = 'sk-fake-test-key-0123456789';

/**
 * Jest runs tests in their own realm: fetch's AbortError (a DOMException of Node's realm)
 * is no `Error` there, the SDK's castToError turns it into `Error("{}")`, and a timeout
 * comes out as APIConnectionError. Re-throwing it as this realm's Error keeps its name,
 * so the SDK classifies it as it does outside Jest.
 */
const sameRealmFetch: typeof fetch = async (input, init) => {
  try {
    return await fetch(input, init);
  } catch (error) {
    const { name, message, cause } = error as { name: string; message: string; cause?: unknown };
    throw Object.assign(new Error(message, { cause }), { name });
  }
};

function client(baseURL: string, options: { apiKey?: string; timeout?: number } = {}): OpenAI {
  return new OpenAI({ apiKey: options.apiKey ?? KEY, baseURL, maxRetries: 0, timeout: options.timeout ?? 10_000, fetch: sameRealmFetch });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  return dot / Math.sqrt(normA * normB);
}

describe('fake OpenAI server through the openai SDK', () => {
  let fake: FakeOpenAI;
  let openai: OpenAI;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKeys: [KEY] });
    openai = client(fake.baseURL);
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  const embed = async (input: string | string[], model = SMALL) => (await openai.embeddings.create({ model, input })).data.map((d) => d.embedding);

  describe('vectors', () => {
    it('gives the same vectors in base64 (the SDK default) and float, at each model’s native size', async () => {
      const input = ['How do I reset my password?', 'Which regions host the database?'];
      const base64 = await openai.embeddings.create({ model: SMALL, input });
      const float = await openai.embeddings.create({ model: SMALL, input, encoding_format: 'float' });
      expect(base64.data.map((d) => d.embedding)).toEqual(float.data.map((d) => d.embedding));
      expect(base64.data.map((d) => d.index)).toEqual([0, 1]);
      expect(base64.data[0].embedding).toHaveLength(1536);
      expect(base64.object).toBe('list');
      expect(base64.model).toBe(SMALL);
      expect((await embed('x', 'text-embedding-3-large'))[0]).toHaveLength(3072);
      expect((await embed('x', 'text-embedding-ada-002'))[0]).toHaveLength(1536);
    });

    it('truncates to `dimensions` as OpenAI does: the first N components, renormalised', async () => {
      const [full] = await embed('truncate me please');
      const short = (await openai.embeddings.create({ model: SMALL, input: 'truncate me please', dimensions: 256 })).data[0].embedding;
      expect(short).toHaveLength(256);
      expect(Math.hypot(...short)).toBeCloseTo(1, 5);
      expect(cosine(short, full.slice(0, 256))).toBeGreaterThan(0.99999);
    });

    it('puts texts that share words closer than unrelated ones', async () => {
      const [question, paraphrase, unrelated] = await embed([
        'How do I reset my password?',
        'how can I reset my password',
        'Which regions host the database?',
      ]);
      expect(cosine(question, paraphrase)).toBeGreaterThan(cosine(question, unrelated) + 0.3);
    });

    it('changes every vector of a model when its variant changes, and restores them when switched back', async () => {
      const texts = ['first text', 'second text'];
      const before = await embed(texts);
      const [adaBefore] = await embed('first text', 'text-embedding-ada-002');
      fake.configure({ variants: { [SMALL]: 7 } });
      const changed = await embed(texts);
      expect(cosine(before[0], changed[0])).toBeLessThan(0.5);
      expect(cosine(before[1], changed[1])).toBeLessThan(0.5);
      expect((await embed('first text', 'text-embedding-ada-002'))[0]).toEqual(adaBefore);
      fake.configure({ variants: { [SMALL]: 0 } });
      expect(await embed(texts)).toEqual(before);
    });

    it('adds per-call noise: vectors nearly, not exactly, equal', async () => {
      const [exact] = await embed('noisy text');
      fake.configure({ noise: 1e-4 });
      const [first] = await embed('noisy text');
      const [second] = await embed('noisy text');
      for (const noisy of [first, second]) {
        expect(cosine(exact, noisy)).toBeGreaterThan(0.9999);
        expect(cosine(exact, noisy)).toBeLessThan(0.999999);
      }
      expect(first).not.toEqual(second);
    });
  });

  describe('requests as OpenAI validates them', () => {
    it('reports usage as cl100k_base counts it', async () => {
      const input = ['How do I reset my password?', '漢字かな交じり文です。', 'emoji 👩‍👩‍👧‍👦 and <|endoftext|>', ' spaced\n\n\tout  ', '3.14159 × 2⁸'];
      const response = await openai.embeddings.create({ model: SMALL, input });
      const expected = input.reduce((sum, text) => sum + referenceTokens(text), 0);
      expect(response.usage).toEqual({ prompt_tokens: expected, total_tokens: expected });
    });

    it('counts exactly as js-tiktoken on random mixed-script text, and fast on long runs', () => {
      const alphabet = Array.from('abcdefgh ijkl\n\t\r.,;:!?\'"-_()[]{}0123456789 éàüß漢字かな😀👩‍👧  ');
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      for (let i = 0; i < 2000; i++) {
        const text = Array.from({ length: Math.floor(random() * 200) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
        expect([text, countTokens(text)]).toEqual([text, referenceTokens(text)]);
      }
      for (const run of ['x'.repeat(1000), '漢字'.repeat(150), "don't WE'LL 'VE"]) expect(countTokens(run)).toBe(referenceTokens(run));
      const started = Date.now();
      countTokens('漢字'.repeat(20_000));
      expect(Date.now() - started).toBeLessThan(500);
    });

    it('accepts token arrays and embeds them like the text they encode', async () => {
      const text = 'tokens stand for this text';
      const ids = cl100k.encode(text, [], []);
      const response = await openai.embeddings.create({ model: SMALL, input: [ids], encoding_format: 'float' });
      expect(response.usage.prompt_tokens).toBe(ids.length);
      expect(response.data[0].embedding).toEqual((await embed(text))[0]);
    });

    it('refuses dimensions for ada-002 and unknown models with OpenAI’s words', async () => {
      const ada = await failure(openai.embeddings.create({ model: 'text-embedding-ada-002', input: 'x', dimensions: 512 }));
      expect(ada).toBeInstanceOf(BadRequestError);
      expect((ada as BadRequestError).message).toContain('This model does not support specifying dimensions.');
      const tooMany = await failure(openai.embeddings.create({ model: SMALL, input: 'x', dimensions: 1537 }));
      expect(tooMany).toMatchObject({ status: 400, param: 'dimensions' });

      const unknown = await failure(openai.embeddings.create({ model: 'text-embedding-4', input: 'x' }));
      expect(unknown).toBeInstanceOf(NotFoundError);
      expect(unknown).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error' });
      expect((unknown as NotFoundError).message).toContain('The model `text-embedding-4` does not exist or you do not have access to it.');
    });

    it('refuses empty input, more than 2048 inputs, an input over 8192 tokens and over 300k tokens per request', async () => {
      const empty = await failure(openai.embeddings.create({ model: SMALL, input: '' }));
      expect(empty).toBeInstanceOf(BadRequestError);
      expect((empty as BadRequestError).message).toContain("'$.input' is invalid");

      const many = await failure(openai.embeddings.create({ model: SMALL, input: Array.from({ length: 2049 }, (_, i) => `t${i}`) }));
      expect(many).toMatchObject({ status: 400, code: 'array_above_max_length' });

      const long = 'word '.repeat(9000);
      const tooLong = await failure(openai.embeddings.create({ model: SMALL, input: ['fine', long] }));
      expect(tooLong).toBeInstanceOf(BadRequestError);
      expect((tooLong as BadRequestError).message).toContain(
        `This model's maximum context length is 8192 tokens, however you requested ${referenceTokens(long)} tokens`,
      );

      const big = await failure(openai.embeddings.create({ model: SMALL, input: Array.from({ length: 40 }, () => 'word '.repeat(8000)) }));
      expect(big).toMatchObject({ status: 400, code: 'max_tokens_per_request', type: 'max_tokens_per_request' });
      expect(fake.stats().byStatus).toEqual({ 400: 4 });
    });

    it('answers bad JSON with 400 and a wrong or missing key with 401', async () => {
      const badJson = await fetch(`${fake.baseURL}/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: '{"model": "text-embedding-3-small", "input": ',
      });
      expect(badJson.status).toBe(400);
      expect(((await badJson.json()) as ErrorBody).error.message).toContain('We could not parse the JSON body of your request.');

      const wrongKey = await failure(client(fake.baseURL, { apiKey: 'sk-wrong-key-abcdef' }).embeddings.create({ model: SMALL, input: 'x' }));
      expect(wrongKey).toBeInstanceOf(AuthenticationError);
      expect(wrongKey).toMatchObject({ code: 'invalid_api_key' });
      expect((wrongKey as AuthenticationError).message).not.toContain('sk-wrong-key-abcdef');

      const noKey = await fetch(`${fake.baseURL}/embeddings`, { method: 'POST', body: JSON.stringify({ model: SMALL, input: 'x' }) });
      expect(noKey.status).toBe(401);
      expect(((await noKey.json()) as ErrorBody).error.code).toBe('invalid_api_key');
    });

    it('sends a unique x-request-id, openai-processing-ms and, with limits set, the x-ratelimit headers', async () => {
      const first = await openai.embeddings.create({ model: SMALL, input: 'x' }).withResponse();
      const second = await openai.embeddings.create({ model: SMALL, input: 'x' }).withResponse();
      expect(first.request_id).toMatch(/^req_[0-9a-f]{32}$/);
      expect(second.request_id).not.toBe(first.request_id);
      expect(Number(first.response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(0);
      expect(first.response.headers.get('x-ratelimit-limit-requests')).toBeNull();

      // The window counts the requests before the limits were set too.
      fake.configure({ limits: { requestsPerMinute: 100, tokensPerMinute: 10_000 } });
      const { response } = await openai.embeddings.create({ model: SMALL, input: 'one two three' }).withResponse();
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('100');
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('97');
      expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('10000');
      expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(10_000 - 2 - referenceTokens('one two three')));
      expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?\d+(\.\d+)?s$/);
      expect(response.headers.get('x-ratelimit-reset-tokens')).toMatch(/^(\d+m)?\d+(\.\d+)?s$/);
    });
  });

  describe('injected faults', () => {
    it('answers injected 429s with retry-after headers, then recovers', async () => {
      fake.configure({ rateLimit: { next: 1, retryAfterMs: 1500 } });
      const error = await failure(embed('x'));
      expect(error).toBeInstanceOf(RateLimitError);
      const limited = error as RateLimitError;
      expect(limited).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' });
      expect(limited.headers.get('retry-after')).toBe('2');
      expect(limited.headers.get('retry-after-ms')).toBe('1500');
      expect(limited.requestID).toMatch(/^req_/);
      await expect(embed('x')).resolves.toHaveLength(1);
    });

    it('answers insufficient_quota 429s while told to', async () => {
      fake.configure({ insufficientQuota: { all: true } });
      for (let i = 0; i < 2; i++) {
        const error = await failure(embed('x'));
        expect(error).toBeInstanceOf(RateLimitError);
        expect(error).toMatchObject({ code: 'insufficient_quota', type: 'insufficient_quota' });
      }
      fake.configure({ insufficientQuota: { all: false } });
      await expect(embed('x')).resolves.toHaveLength(1);
    });

    it('fails the next N requests with the status asked, then succeeds', async () => {
      fake.configure({ fail: { next: 2, status: 503 } });
      for (let i = 0; i < 2; i++) {
        const error = await failure(embed('x'));
        expect(error).toBeInstanceOf(InternalServerError);
        expect(error).toMatchObject({ status: 503, type: 'server_error' });
      }
      await expect(embed('x')).resolves.toHaveLength(1);
      fake.configure({ fail: { next: 1, status: 400, message: 'custom words', code: 'custom_code' } });
      expect(await failure(embed('x'))).toMatchObject({ status: 400, code: 'custom_code', message: '400 custom words' });
      expect(fake.stats().byStatus).toEqual({ 200: 1, 400: 1, 503: 2 });
    });

    it('answers 503 through an outage and random errors at the rate asked', async () => {
      fake.configure({ outage: true });
      expect(await failure(embed('x'))).toMatchObject({ status: 503 });
      fake.configure({ outage: false, errors: { rate: 1, status: 502 } });
      expect(await failure(embed('x'))).toMatchObject({ status: 502 });
      fake.configure({ errors: { rate: 0 } });
      await expect(embed('x')).resolves.toHaveLength(1);
      expect(fake.stats().recent.map((r) => r.fault)).toEqual(['outage', 'error-rate', null]);
    });

    it('refuses the key as revoked while told to, with OpenAI’s exact answer, and accepts it again', async () => {
      fake.configure({ invalidApiKey: true });
      const response = await fetch(`${fake.baseURL}/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: SMALL, input: 'x' }),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: {
          message: `Incorrect API key provided: sk-${'*'.repeat(KEY.length - 7)}6789. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
      expect(await failure(embed('x'))).toBeInstanceOf(AuthenticationError);
      fake.configure({ invalidApiKey: false });
      await expect(embed('x')).resolves.toHaveLength(1);
      expect(fake.stats().recent.map((r) => [r.status, r.fault])).toEqual([
        [401, 'invalid-api-key'],
        [401, 'invalid-api-key'],
        [200, null],
      ]);
    });

    it('answers 500 to inputs holding a special token while told to, and embeds their escaped form', async () => {
      fake.configure({ rejectSpecialTokens: true });
      for (const token of ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|endofprompt|>']) {
        expect(await failure(embed(['plain', `a question ${token} with a token`]))).toMatchObject({ status: 500, type: 'server_error' });
      }
      await expect(embed(['plain', 'a question <\u200b|endoftext|> escaped', '<|im_start|> is no cl100k token'])).resolves.toHaveLength(3);
      fake.configure({ rejectSpecialTokens: false });
      await expect(embed('a question <|endoftext|> with a token')).resolves.toHaveLength(1);
      expect(fake.stats().byStatus).toEqual({ 200: 2, 500: 5 });
    });

    it('hangs so that the client’s timeout fires', async () => {
      fake.configure({ hang: { next: 1 } });
      const started = Date.now();
      const error = await failure(client(fake.baseURL, { timeout: 300 }).embeddings.create({ model: SMALL, input: 'x' }));
      expect(error).toBeInstanceOf(APIConnectionTimeoutError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      await expect(embed('x')).resolves.toHaveLength(1);
      expect(fake.stats()).toMatchObject({ requests: 2, hung: 1, byStatus: { 200: 1 }, inFlight: 0 });
    });

    it('processes and bills a request whose client gave up during the latency, without answering it', async () => {
      fake.configure({ latency: { ms: 300 } });
      const error = await failure(client(fake.baseURL, { timeout: 100 }).embeddings.create({ model: SMALL, input: 'x' }));
      expect(error).toBeInstanceOf(APIConnectionTimeoutError);
      await new Promise((resolve) => setTimeout(resolve, 350));
      const stats = fake.stats();
      expect(stats).toMatchObject({ requests: 1, byStatus: {}, inFlight: 0, inputs: 1, abandoned: { requests: 1, inputs: 1 } });
      expect(stats.abandoned.tokens).toBe(stats.tokens);
      expect(stats.recent).toMatchObject([{ status: 200, inputs: 1, abandoned: true }]);
    });

    it('adds latency with jitter', async () => {
      fake.configure({ latency: { ms: 150, jitterMs: 50 } });
      const started = Date.now();
      await embed('x');
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(145);
      expect(elapsed).toBeLessThan(1000);
    });

    it('sends malformed bodies the SDK cannot use, and short lists it passes through', async () => {
      fake.configure({ malformed: { next: 1, kind: 'invalid-json' } });
      await expect(embed('x')).rejects.toThrow(SyntaxError);
      fake.configure({ malformed: { next: 1, kind: 'wrong-shape' } });
      await expect(embed('x')).rejects.toThrow('Expected embeddings response data to be an array');
      fake.configure({ malformed: { next: 1, kind: 'fewer-vectors' } });
      await expect(embed(['a', 'b', 'c'])).resolves.toHaveLength(2);
      await expect(embed(['a', 'b', 'c'])).resolves.toHaveLength(3);
    });
  });

  describe('rate limits over a sliding window', () => {
    it('writes reset durations as OpenAI does', () => {
      expect([0, 20, 999, 1000, 1500, 59_999, 360_000, 3_723_500].map(formatDuration)).toEqual([
        '0s',
        '20ms',
        '999ms',
        '1s',
        '1.5s',
        '59.999s',
        '6m0s',
        '1h2m3.5s',
      ]);
    });

    const text = 'one two three four five six seven eight nine ten';
    const tokens = referenceTokens(text);

    it('refuses tokens over the per-window limit whole, counts them nowhere, and admits again once the window slides', async () => {
      fake.configure({ limits: { tokensPerMinute: tokens * 2 + 1, windowMs: 500 } });
      await embed(text);
      await embed(text);
      const error = await failure(embed(text));
      expect(error).toBeInstanceOf(RateLimitError);
      const limited = error as RateLimitError;
      expect(limited).toMatchObject({ code: 'rate_limit_exceeded', type: 'tokens' });
      expect(limited.message).toContain(`on tokens per min (TPM): Limit ${tokens * 2 + 1}, Used ${tokens * 2}, Requested ${tokens}`);
      expect(limited.headers.get('x-ratelimit-remaining-tokens')).toBe('1');
      const retryAfterMs = Number(limited.headers.get('retry-after-ms'));
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(500);

      const tooLarge = await failure(embed(`${text} ${text} ${text}`));
      expect(tooLarge).toMatchObject({ status: 429, type: 'tokens' });
      expect((tooLarge as RateLimitError).message).toContain('Request too large');
      expect((tooLarge as RateLimitError).headers.get('retry-after')).toBeNull();

      expect(fake.stats()).toMatchObject({ byStatus: { 200: 2, 429: 2 }, tokens: tokens * 2, inputs: 2 });
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs + 20));
      await expect(embed(text)).resolves.toHaveLength(1);
    });

    it('refuses requests over the per-window request limit', async () => {
      fake.configure({ limits: { requestsPerMinute: 2, windowMs: 400 } });
      await embed('a');
      await embed('b');
      const error = await failure(embed('c'));
      expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests' });
      expect((error as RateLimitError).headers.get('x-ratelimit-remaining-requests')).toBe('0');
    });
  });

  describe('control and stats', () => {
    it('is driven over HTTP by FakeOpenAIControl', async () => {
      const control = new FakeOpenAIControl(fake.baseURL);
      const config = await control.configure({ outage: true, latency: { ms: 5 } });
      expect(config).toMatchObject({ outage: true, latency: { ms: 5, jitterMs: 0 } });
      expect(await failure(embed('x'))).toMatchObject({ status: 503 });
      expect(await control.stats()).toMatchObject({ requests: 1, byStatus: { 503: 1 } });
      await expect(control.configure({ errors: { rate: 2 } } as never)).rejects.toThrow(/answered 400: .*errors\.rate/);
      await expect(control.configure({ nonsense: true } as never)).rejects.toThrow(/answered 400/);

      const reset = await control.reset();
      expect(reset).toMatchObject({ outage: false, latency: { ms: 0 } });
      expect(await control.config()).toEqual(reset);
      expect((await control.stats()).requests).toBe(0);
      await expect(embed('x')).resolves.toHaveLength(1);
    });

    it('counts requests, inputs, tokens, statuses, models, concurrency and keeps a log', async () => {
      fake.configure({ latency: { ms: 100 } });
      const texts = ['alpha beta', 'gamma delta epsilon'];
      await Promise.all(Array.from({ length: 4 }, () => embed(texts)));
      await failure(embed('x', 'no-such-model'));
      await embed('zeta', 'text-embedding-3-large');

      const stats = fake.stats();
      const perRequest = referenceTokens(texts[0]) + referenceTokens(texts[1]);
      expect(stats).toMatchObject({
        requests: 6,
        byStatus: { 200: 5, 404: 1 },
        inputs: 9,
        tokens: 4 * perRequest + referenceTokens('zeta'),
        inFlight: 0,
        maxInFlight: 4,
        hung: 0,
      });
      expect(stats.byModel[SMALL]).toEqual({ requests: 4, inputs: 8, tokens: 4 * perRequest });
      expect(stats.byModel['text-embedding-3-large']).toEqual({ requests: 1, inputs: 1, tokens: referenceTokens('zeta') });
      expect(stats.recent).toHaveLength(6);
      expect(stats.recent[4]).toMatchObject({ model: 'no-such-model', status: 404, inputs: 0 });
      expect(stats.recent[0].durationMs).toBeGreaterThanOrEqual(95);
    });

    it('keeps only the latest requests in the log', async () => {
      const small = await startFakeOpenAI({ recentLimit: 3 });
      try {
        const smallClient = client(small.baseURL);
        for (const input of ['a', 'b', 'c', 'd', 'e']) await smallClient.embeddings.create({ model: SMALL, input });
        const { recent, requests } = small.stats();
        expect(requests).toBe(5);
        expect(recent.map((r) => r.tokens)).toEqual([1, 1, 1]);
        expect(new Set(recent.map((r) => r.requestId)).size).toBe(3);
      } finally {
        await small.close();
      }
    });
  });
});

describe('fake OpenAI server as a child process', () => {
  let buildDir: string;

  // The helper runs compiled JavaScript; transpile the fake's sources (fast, no type check).
  beforeAll(() => {
    const root = join(__dirname, '..', '..');
    buildDir = mkdtempSync(join(tmpdir(), 'fake-openai-'));
    const sources = [
      ...readdirSync(join(root, 'tools/fake-openai'))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `tools/fake-openai/${f}`),
      'src/embeddings/providers/feature-hashing.ts',
      'src/embeddings/cl100k.ts',
    ];
    for (const source of sources) {
      const { code } = transformFileSync(join(root, source), {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
      const target = join(buildDir, source.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, code);
    }
    process.env.NODE_PATH = join(root, 'node_modules');
  });
  afterAll(() => {
    delete process.env.NODE_PATH;
    rmSync(buildDir, { recursive: true, force: true });
  });

  it('starts, serves the SDK, obeys its control client and stops', async () => {
    const child = await spawnFakeOpenAI({ apiKeys: [KEY], entry: join(buildDir, 'tools/fake-openai/main.js') });
    try {
      expect(child.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const sdk = client(child.baseURL);
      await expect(sdk.embeddings.create({ model: SMALL, input: 'hello' })).resolves.toMatchObject({ usage: { prompt_tokens: 1 } });
      await child.control.configure({ fail: { next: 1, status: 502 } });
      expect(await failure(sdk.embeddings.create({ model: SMALL, input: 'hello' }))).toMatchObject({ status: 502 });
      expect(await child.control.stats()).toMatchObject({ requests: 2, byStatus: { 200: 1, 502: 1 } });
    } finally {
      await child.stop();
    }
    await expect(child.control.stats()).rejects.toThrow();
  });
});
