import { BadRequestException, ConflictException, HttpException, HttpStatus, NotFoundException, ParseUUIDPipe } from '@nestjs/common';

/** A field and what is wrong with it; every 4xx from validation carries a list of these. */
export interface FieldProblem {
  field: string;
  problem: string;
}

export function badRequest(field: string, problem: string): BadRequestException {
  return new BadRequestException({ message: `${field}: ${problem}`, details: [{ field, problem }] });
}

export function notFound(what: string, id: string | number): NotFoundException {
  return new NotFoundException({ message: `${what} ${id} not found` });
}

export function conflict(message: string, details?: Record<string, unknown>): ConflictException {
  return new ConflictException({ message, ...(details ? { context: details } : {}) });
}

/** 503 with a Retry-After hint, for an open breaker or an unavailable dependency. */
export class ServiceUnavailableError extends HttpException {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super({ message }, HttpStatus.SERVICE_UNAVAILABLE);
  }
}

/** `@Param('id', uuidParam())`: a 400 that names the parameter. */
export function uuidParam(name = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => badRequest(name, 'must be a UUID') });
}
