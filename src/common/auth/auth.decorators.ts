import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../error-response.dto';

export const ACCESS_KEY = 'access';
export type Access = 'public' | 'user' | 'admin';

/** No API key needed (health, docs). */
export const Public = () => SetMetadata(ACCESS_KEY, 'public' satisfies Access);

/** Needs an admin key (breaker control, migrations, budgets, dead-letter replay…). */
export const AdminOnly = () =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, 'admin' satisfies Access),
    ApiForbiddenResponse({ description: 'The key is not an admin key', type: ErrorResponseDto }),
  );

/** Swagger: every non-public controller takes a key and may answer 401. */
export const ApiKeyAuth = () =>
  applyDecorators(
    ApiSecurity('api-key'),
    ApiUnauthorizedResponse({ description: 'Missing or unknown API key', type: ErrorResponseDto }),
  );
