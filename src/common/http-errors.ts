import { ParseUUIDPipe } from '@nestjs/common';
import { badRequest } from './errors';

/** `@Param('id', uuidParam())`: a 400 that names the parameter. */
export function uuidParam(name = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => badRequest(name, 'must be a UUID') });
}
