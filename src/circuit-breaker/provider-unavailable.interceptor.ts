import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { unavailable } from '../common/errors';
import { ProviderError } from '../embeddings/providers/provider-error';
import { ProviderUnavailableError } from './provider-unavailable-error';

/**
 * Global: a request that needed the provider and could not have it (breaker open, rate
 * budget used up, the provider failing or rate limiting) answers 503 with Retry-After,
 * never 500. Search is one such request; drift checks and comparisons that embed on the
 * spot are others. A refused API key is a provider-wide outage like the others (503, with
 * words saying an operator must fix the key). Per-input errors (a refused input) pass unchanged.
 */
@Injectable()
export class ProviderUnavailableInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError((error: unknown) => throwError(() => asServiceUnavailable(error))));
  }
}

function asServiceUnavailable(error: unknown): unknown {
  if (error instanceof ProviderUnavailableError) {
    return unavailable(`the embedding provider is unavailable: ${error.message}`, error.retryInMs, error);
  }
  if (error instanceof ProviderError && error.retryable && error.kind !== 'aborted') {
    return unavailable(`the embedding provider failed: ${error.message}`, error.details.retryAfterMs, error);
  }
  return error;
}
