import type { Answer } from './answer';
import { type FakeOpenAIConfig, type MalformedKind, applyPatch, cloneConfig } from './config';
import { CL100K_SPECIAL_TOKENS } from '../../src/embeddings/cl100k';
import { incorrectApiKey, injectedRateLimit, insufficientQuota, statusError } from './openai-errors';

/**
 * The live configuration and the decisions taken from it per request. The `take…`
 * methods spend one-shot `next` counters, so call each at most once per request.
 */
export class Faults {
  private config: FakeOpenAIConfig;

  constructor(private readonly baseline: FakeOpenAIConfig) {
    this.config = cloneConfig(baseline);
  }

  get current(): Readonly<FakeOpenAIConfig> {
    return this.config;
  }

  snapshot(): FakeOpenAIConfig {
    return cloneConfig(this.config);
  }

  configure(patch: unknown): FakeOpenAIConfig {
    this.config = applyPatch(this.config, patch);
    return cloneConfig(this.config);
  }

  /** Back to the configuration the server started with. */
  reset(): FakeOpenAIConfig {
    this.config = cloneConfig(this.baseline);
    return cloneConfig(this.config);
  }

  takeHang(): boolean {
    const { hang } = this.config;
    return hang.all || spend(hang);
  }

  latencyMs(): number {
    const { ms, jitterMs } = this.config.latency;
    return ms + Math.random() * jitterMs;
  }

  /** Faults of the infrastructure in front of the API, which answer before any auth. */
  takeServerFault(): Answer | null {
    const { outage, fail, errors } = this.config;
    if (outage) return statusError(503, 'outage');
    if (spend(fail)) return statusError(fail.status, 'fail', fail);
    if (errors.rate > 0 && Math.random() < errors.rate) return statusError(errors.status, 'error-rate');
    return null;
  }

  /** The key presented is refused as revoked while `invalidApiKey` is on (after the server's own faults, like real auth). */
  takeRevokedKey(presentedKey: string): Answer | null {
    return this.config.invalidApiKey ? incorrectApiKey(presentedKey, 'invalid-api-key') : null;
  }

  /** A 500 for an input holding a special token while `rejectSpecialTokens` is on. */
  takeSpecialTokenFault(texts: readonly string[]): Answer | null {
    if (!this.config.rejectSpecialTokens) return null;
    return texts.some((text) => CL100K_SPECIAL_TOKENS.some((token) => text.includes(token))) ? statusError(500, 'special-tokens') : null;
  }

  /** Faults of the caller's account, which answer after auth. */
  takeAccountFault(model: string): Answer | null {
    const { insufficientQuota: quota, rateLimit } = this.config;
    if (quota.all || spend(quota)) return insufficientQuota();
    if (spend(rateLimit) || (rateLimit.rate > 0 && Math.random() < rateLimit.rate)) {
      return injectedRateLimit(model, rateLimit.retryAfterMs);
    }
    return null;
  }

  takeMalformed(): MalformedKind | null {
    const { malformed } = this.config;
    return spend(malformed) ? malformed.kind : null;
  }

  variant(model: string): number {
    return this.config.variants[model] ?? 0;
  }

  /** Whether the next batch fails validation (spends one). */
  takeBatchValidationFailure(): boolean {
    const { batches } = this.config;
    if (batches.failValidation <= 0) return false;
    batches.failValidation--;
    return true;
  }

  /** Whether the next batch expires with partial output (spends one). */
  takeBatchExpiry(): boolean {
    const { batches } = this.config;
    if (batches.expire <= 0) return false;
    batches.expire--;
    return true;
  }

  noise(model: string): number {
    return this.config.modelNoise[model] ?? this.config.noise;
  }
}

function spend(counter: { next: number }): boolean {
  if (counter.next <= 0) return false;
  counter.next--;
  return true;
}
