import { ProviderUnavailableError } from '../circuit-breaker/provider-unavailable-error';
import { ProviderError } from '../embeddings/providers/provider-error';

/** The query embedding did not come within the search's own timeout. */
export class QueryEmbeddingTimeout extends Error {
  override readonly name = 'QueryEmbeddingTimeout';
}

/**
 * Why a query embedding failed in a way the lexical index can stand in for: the breaker's
 * or rate budget's reason, `provider_timeout`, or `provider_<kind>` for a failed call.
 * Undefined for anything else (PostgreSQL or Redis down, a bug): those are not degraded, they fail.
 */
export function degradedReason(error: unknown): string | undefined {
  if (error instanceof QueryEmbeddingTimeout) return 'provider_timeout';
  if (error instanceof ProviderUnavailableError) return error.reason;
  if (error instanceof ProviderError) return `provider_${error.kind}`;
  return undefined;
}
