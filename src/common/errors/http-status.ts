import { HttpStatus } from '@nestjs/common';
import type { DomainErrorCode } from './domain-error';

/** The one place a domain error code becomes an HTTP status; a new code does not compile until it is mapped. */
export function httpStatusOf(code: DomainErrorCode): HttpStatus {
  switch (code) {
    case 'invalid_input':
      return HttpStatus.BAD_REQUEST;
    case 'not_found':
      return HttpStatus.NOT_FOUND;
    case 'conflict':
      return HttpStatus.CONFLICT;
    case 'precondition_failed':
      return HttpStatus.PRECONDITION_FAILED;
    case 'forbidden':
      return HttpStatus.FORBIDDEN;
    case 'too_many_requests':
      return HttpStatus.TOO_MANY_REQUESTS;
    case 'unavailable':
      return HttpStatus.SERVICE_UNAVAILABLE;
    case 'provider_rejected':
      return HttpStatus.BAD_GATEWAY;
    default: {
      const unmapped: never = code;
      throw new Error(`domain error code ${String(unmapped)} has no HTTP status`);
    }
  }
}
