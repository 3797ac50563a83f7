import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse, DECORATORS } from '@nestjs/swagger';
import { ErrorResponseDto } from '../error-response.dto';

export const ACCESS_KEY = 'access';
export type Access = 'public' | 'user' | 'admin';

/** No API key needed (health, the console's files); Swagger says so with `security: []`. */
export const Public = () => applyDecorators(SetMetadata(ACCESS_KEY, 'public' satisfies Access), ApiNoSecurity());

/** Needs an admin key (breaker control, migrations, budgets, dead-letter replay…). */
export const AdminOnly = () =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, 'admin' satisfies Access),
    ApiForbiddenResponse({ description: 'The key is not an admin key', type: ErrorResponseDto }),
  );

/** Swagger: every non-public controller takes a key and may answer 401. */
export const ApiKeyAuth = () =>
  applyDecorators(ApiSecurity('api-key'), ApiUnauthorizedResponse({ description: 'Missing or unknown API key', type: ErrorResponseDto }));

/**
 * Swagger: `security: []` on an operation, or on every operation of a controller.
 * @nestjs/swagger drops an empty method-level `@ApiSecurity` list, so on a method the
 * empty list goes into the operation's own metadata (which `@ApiOperation` merges into,
 * whichever decorator runs first).
 */
function ApiNoSecurity(): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (!descriptor) {
      Reflect.defineMetadata(DECORATORS.API_SECURITY, [], target);
      return;
    }
    const operation: object = Reflect.getMetadata(DECORATORS.API_OPERATION, descriptor.value) ?? {};
    Reflect.defineMetadata(DECORATORS.API_OPERATION, { ...operation, security: [] }, descriptor.value);
  };
}
