import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { CircuitBreaker, ProviderGuard, ProviderUnavailableError, RateBudget } from '../../src/circuit-breaker';
import { ProviderGuards } from '../../src/circuit-breaker/provider-guards';
import { loadConfig } from '../../src/config/app-config';
import type { UsageLedgerService } from '../../src/cost-analytics/usage-ledger.service';
import { EmbeddingClient, type EmbedItem } from '../../src/embeddings/embedding-client';
import type { EmbeddingModelEntity } from '../../src/embeddings/embedding-model.entity';
import { EmbeddingProviders } from '../../src/embeddings/providers/embedding-providers';
import { countTokens } from '../../src/embeddings/tokenizer';
import { spawnFakeOpenAI } from '../../tools/fake-openai';
import { deleteRedisKeys, REDIS_URL } from '../support/bench-environment';
import { median, round, scaled, type BenchContext, type Benchmark } from '../support/benchmark';

const FAKE_KEY = 'sk-bench-breaker';
const OVERHEAD_CALLS = 20_000;
/** The provider's limit, T tokens per minute (OpenAI's first tier for text-embedding-3-small). */
const TPM_LIMIT = 1_000_000;
/** The service's budget as a share of T: remaining never reaches 0, which would block until the provider's reset. */
const BUDGET_SHARE = 0.98;
const INPUTS_PER_CALL = 64;
const CONCURRENT_LOOPS = 8;
const MODEL = {
  id: 1,
  name: 'text-embedding-3-small',
  provider: 'openai',
  apiModel: 'text-embedding-3-small',
  dimensions: 1536,
  requestDimensions: false,
  pricePerMillionTokens: '0.02',
  maxInputTokens: 8191,
  isActive: true,
  keepCurrent: false,
  createdAt: new Date(),
} satisfies EmbeddingModelEntity;

export const breakerBenchmark: Benchmark = {
  name: 'breaker',
  description:
    'Circuit breaker and shared rate budget (Redis, Lua): time per protected call against the same trivial call unprotected, and Redis ' +
    'round trips per call; then a loop of embedding calls through EmbeddingClient and the real SDK against the fake provider limited to ' +
    'T tokens/minute: tokens/minute achieved in the steady state and the share of 429 answers.',
  async run(context: BenchContext) {
    const keyPrefix = `bench-breaker-${randomBytes(4).toString('hex')}:`;
    try {
      const overhead = await measureOverhead(keyPrefix, context);
      const pacing = await measurePacing(keyPrefix, context);
      return {
        figures: { ...overhead.figures, ...pacing.figures },
        notes: { ...overhead.notes, ...pacing.notes },
      };
    } finally {
      // The overhead run's keys (`bench-breaker-…:`) and the pacing service's (REDIS_PREFIX `bench-breaker-…-pacing`).
      await deleteRedisKeys(keyPrefix.slice(0, -1));
      await deleteRedisKeys(pacingPrefix(keyPrefix));
    }
  },
};

async function measureOverhead(keyPrefix: string, context: BenchContext) {
  const calls = scaled(OVERHEAD_CALLS, context.scale, 500);
  const counted = new Redis(REDIS_URL);
  let commands = 0;
  const send = counted.sendCommand.bind(counted);
  counted.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    commands++;
    return send(...args);
  }) as Redis['sendCommand'];
  const name = 'bench';
  const breaker = new CircuitBreaker(counted, { name, keyPrefix });
  const guard = new ProviderGuard(name, breaker, new RateBudget(counted, { name, keyPrefix }), { maxWaitMs: 1_000, recoveryTimeoutMs: 60_000 });
  // With the rate-limit headers every OpenAI answer carries, so learning them is part of the measured cost.
  // Limits far above this loop's rate (tens of thousands of calls a minute): the budget is
  // consulted on every call but never blocks, or the loop would measure waiting.
  const answer = {
    vectors: [],
    reportedTokens: 10,
    headers: new Headers({ 'x-ratelimit-limit-requests': '100000000', 'x-ratelimit-limit-tokens': '10000000000' }),
  };
  const trivial = async () => answer;

  const timePerCall = async (call: () => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    for (let i = 0; i < calls; i++) await call();
    return ((performance.now() - started) * 1000) / calls;
  };
  // Warm up (script loading, JIT) before measuring.
  await timePerCall(() => guard.call(10, trivial));
  const protectedUs: number[] = [];
  const breakerOnlyUs: number[] = [];
  const unprotectedUs: number[] = [];
  let roundTrips = 0;
  for (let run = 0; run < context.runs; run++) {
    unprotectedUs.push(await timePerCall(trivial));
    commands = 0;
    protectedUs.push(await timePerCall(() => guard.call(10, trivial)));
    roundTrips = commands / calls;
    breakerOnlyUs.push(await timePerCall(() => breaker.call(trivial)));
    context.log(
      `run ${run + 1}: protected ${round(protectedUs[run], 1)} µs, breaker only ${round(breakerOnlyUs[run], 1)} µs, unprotected ${round(unprotectedUs[run], 2)} µs`,
    );
  }
  await counted.quit();
  return {
    figures: {
      call_us_protected: round(median(protectedUs), 1),
      call_us_unprotected: round(median(unprotectedUs), 3),
      call_us_breaker_only: round(median(breakerOnlyUs), 1),
      redis_round_trips_per_call: round(roundTrips, 2),
    },
    notes: {
      overhead:
        `${calls} sequential calls per run, median of ${context.runs} runs, local Redis. Protected = ProviderGuard.call: one script before ` +
        'the call (breaker admission + rate-budget reservation), one after (breaker record + budget settle + learned limits); ' +
        'redis_round_trips_per_call = commands the guard sent through its client (ioredis sendCommand, counted; no pipelining, so each is ' +
        'a round trip) over the protected runs, divided by their calls; breaker only = CircuitBreaker.call (acquire, record).',
    },
  };
}

/** The pacing run's REDIS_PREFIX, beside the overhead run's key prefix. */
function pacingPrefix(keyPrefix: string): string {
  return `${keyPrefix.slice(0, -1)}-pacing`;
}

async function measurePacing(keyPrefix: string, context: BenchContext) {
  // The provider's real 60 s window at full scale; a shorter one (same T per minute) for quick runs.
  const windowMs = context.scale >= 1 ? 60_000 : 6_000;
  const providerPerWindow = Math.round((TPM_LIMIT * windowMs) / 60_000);
  const budgetPerWindow = Math.floor(providerPerWindow * BUDGET_SHARE);
  const fake = await spawnFakeOpenAI({ apiKeys: [FAKE_KEY] });
  const config = loadConfig({
    ROLE: 'worker',
    REDIS_URL,
    REDIS_PREFIX: pacingPrefix(keyPrefix),
    OPENAI_API_KEY: FAKE_KEY,
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_TIMEOUT_MS: '10000',
    RATE_LIMIT_TPM: String(budgetPerWindow),
    RATE_LIMIT_WINDOW_MS: String(windowMs),
    RATE_LIMIT_MAX_WAIT_MS: String(windowMs),
  });
  const redis = new Redis(REDIS_URL);
  try {
    await fake.control.configure({ limits: { tokensPerMinute: providerPerWindow, windowMs } });
    // The ledger is not under test: no Postgres, so the loop measures pacing alone. Every ledger method is a no-op.
    const ledger = new Proxy({}, { get: () => async () => undefined }) as UsageLedgerService;
    const client = new EmbeddingClient(new EmbeddingProviders(config), ledger, config, new ProviderGuards(redis, config));

    const started = performance.now();
    const steadyFrom = started + windowMs;
    const end = started + 3 * windowMs;
    const served: Served[] = [];
    await Promise.all(Array.from({ length: CONCURRENT_LOOPS }, (_, loop) => embedUntil(client, end, loop, served)));
    // The first window is a burst (the provider's window starts empty); windows 2 and 3 are the steady state.
    const steadyTokens = served.filter((call) => call.at >= steadyFrom && call.at < end).reduce((sum, call) => sum + call.tokens, 0);
    const tpmAchieved = steadyTokens / ((end - steadyFrom) / 60_000);
    const total = await fake.control.stats();
    const answered429 = total.byStatus['429'] ?? 0;
    context.log(`steady state: ${Math.round(tpmAchieved)} tokens/min of ${TPM_LIMIT}; ${answered429} × 429 of ${total.requests} requests`);
    return {
      figures: {
        tpm_limit: TPM_LIMIT,
        tpm_achieved: Math.round(tpmAchieved),
        tpm_achieved_share: round(tpmAchieved / TPM_LIMIT, 4),
        share_429: round(answered429 / total.requests, 5),
        requests: total.requests,
      },
      notes: {
        pacing:
          `fake provider (own process) limited to ${providerPerWindow} tokens per ${windowMs / 1000} s window (T = ${TPM_LIMIT} tokens/min); ` +
          `service budget ${budgetPerWindow} per window (${BUDGET_SHARE * 100} % of T, so the provider's remaining never reaches 0); ` +
          `${CONCURRENT_LOOPS} concurrent loops of EmbeddingClient.embed with ${INPUTS_PER_CALL} inputs (~${tokensPerCall()} tokens) per call ` +
          `for 3 windows; tpm_achieved = tokens of the calls answered in windows 2–3, per minute; share_429 over all requests; usage ledger stubbed.`,
      },
    };
  } finally {
    await redis.quit();
    await fake.stop();
  }
}

function itemsFor(loop: number, call: number): EmbedItem[] {
  return Array.from({ length: INPUTS_PER_CALL }, (_, i) => {
    const text = `Question ${loop}.${call}.${i}: how do I configure the rate limit of account ${i % 17}? Answer: see page ${call % 31}.`;
    return { text, tokens: countTokens(text), purpose: 'ingest' as const };
  });
}

function tokensPerCall(): number {
  return itemsFor(0, 0).reduce((sum, item) => sum + item.tokens, 0);
}

interface Served {
  /** When the answer came back (performance.now()). */
  at: number;
  tokens: number;
}

/** Calls until `end`, noting each answered call; a call the budget would hold too long waits as a queued job would. */
async function embedUntil(client: EmbeddingClient, end: number, loop: number, served: Served[]): Promise<void> {
  for (let call = 0; performance.now() < end; call++) {
    const items = itemsFor(loop, call);
    try {
      await client.embed(MODEL, items);
      served.push({ at: performance.now(), tokens: items.reduce((sum, item) => sum + item.tokens, 0) });
    } catch (error) {
      if (!(error instanceof ProviderUnavailableError)) throw error;
      await sleep(Math.min(error.retryInMs, Math.max(0, end - performance.now())));
    }
  }
}
