import { ProviderUnavailableError } from '../circuit-breaker/provider-unavailable-error';
import { isDependencyDown } from '../common/dependency-errors';
import { ProviderError } from '../embeddings/providers/provider-error';

/** The query embedding did not come within the search's own timeout. */
export class QueryEmbeddingTimeout extends Error {
  override readonly name = 'QueryEmbeddingTimeout';
}

/**
 * Why a query embedding failed in a way the lexical index can stand in for: the breaker's
 * or rate budget's reason, `provider_timeout`, `provider_<kind>` for a failed call, or
 * `dependency_unavailable` when Redis (the breaker's and budget's store) or PostgreSQL (the
 * ledger) could not be reached: the lexical search then tries PostgreSQL, and only if that
 * fails too does the search answer 503. Undefined for anything else (a bug): it fails.
 */
export function degradedReason(error: unknown): string | undefined {
  if (error instanceof QueryEmbeddingTimeout) return 'provider_timeout';
  if (error instanceof ProviderUnavailableError) return error.reason;
  if (error instanceof ProviderError) return `provider_${error.kind}`;
  if (isDependencyDown(error)) return 'dependency_unavailable';
  return undefined;
}
