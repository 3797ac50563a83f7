/** A field and what is wrong with it; every 4xx from validation carries a list of these. */
export interface FieldProblem {
  field: string;
  problem: string;
}

/**
 * What went wrong, in the service's own terms. Services throw these; only the HTTP edge
 * (`AllExceptionsFilter`, through `httpStatusOf`) turns a code into a status, so a worker or
 * scheduler can tell "this does not exist" from "the database blinked" without HTTP.
 */
export type DomainErrorCode =
  /** The caller sent something we refuse; `details` names the fields. */
  | 'invalid_input'
  /** The thing named does not exist (now). */
  | 'not_found'
  /** The request conflicts with the current state (a duplicate, a state that forbids it). */
  | 'conflict'
  /** A conditional request (If-Match) whose condition no longer holds. */
  | 'precondition_failed'
  /** The caller may not do this. */
  | 'forbidden'
  /** The caller holds too much at once (open streams…); it may retry once it has released some. */
  | 'too_many_requests'
  /** A dependency (provider, PostgreSQL, Redis) cannot serve it now; try again after `retryAfterMs`. */
  | 'unavailable'
  /** The embedding provider refused the request for a reason retrying will not fix. */
  | 'provider_rejected';

export interface DomainErrorOptions {
  details?: FieldProblem[];
  /** Extra facts for the caller (ids, states); never secrets. */
  context?: Record<string, unknown>;
  retryAfterMs?: number;
  cause?: unknown;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly details?: FieldProblem[];
  readonly context?: Record<string, unknown>;
  readonly retryAfterMs?: number;

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details;
    this.context = options.context;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isDomainError(error: unknown, code?: DomainErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}

export function badRequest(field: string, problem: string): DomainError {
  return new DomainError('invalid_input', `${field}: ${problem}`, { details: [{ field, problem }] });
}

export function invalidFields(details: FieldProblem[]): DomainError {
  const message = details.map((d) => `${d.field}: ${d.problem}`).join('; ') || 'invalid request';
  return new DomainError('invalid_input', message, { details });
}

export function notFound(what: string, id: string | number): DomainError {
  return new DomainError('not_found', `${what} ${id} not found`);
}

export function conflict(message: string, context?: Record<string, unknown>): DomainError {
  return new DomainError('conflict', message, { context });
}

export function preconditionFailed(message: string, context?: Record<string, unknown>): DomainError {
  return new DomainError('precondition_failed', message, { context });
}

export function forbidden(message: string): DomainError {
  return new DomainError('forbidden', message);
}

/** 503 with a Retry-After hint, for an open breaker or an unavailable dependency. */
export function unavailable(message: string, retryAfterMs?: number, cause?: unknown): DomainError {
  return new DomainError('unavailable', message, { retryAfterMs, cause });
}
