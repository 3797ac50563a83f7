import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { adminAuthMiddleware } from '../admin-auth.middleware';
import { type ApiKeys, presentedKey } from './api-keys';

/** Served without a key, to read only: health, metrics (the controller checks its own setting), the console's files (and the old dashboard's redirect), Swagger. */
const OPEN_PATHS = /^\/(health|metrics|console|dashboard|docs)(\/|-json\/?$|$)/i;
/** Any other method on an open path could carry a body, which would then be parsed for anyone. */
const READ_METHODS = new Set(['GET', 'HEAD']);
/** Raw Express mounts that need an admin key (Bull Board). */
const ADMIN_MOUNTS = /^\/admin\/queues(\/|$)/i;

/**
 * Refuses a request without a valid key BEFORE the body parser reads a byte of its body,
 * so an anonymous caller cannot make the server read and parse megabytes. Roles of Nest
 * routes (user vs admin) stay with `ApiKeyGuard`; this only asks "is there a valid key".
 * The 401 closes the connection, so the owed body is never read either.
 */
export function authenticateBeforeBody(keys: ApiKeys): RequestHandler {
  const admin = adminAuthMiddleware(keys);
  return (request: Request, response: Response, next: NextFunction) => {
    if (READ_METHODS.has(request.method) && OPEN_PATHS.test(request.path)) return next();
    if (ADMIN_MOUNTS.test(request.path)) return admin(request, response, next);
    if (keys.roleOf(presentedKey(request))) return next();
    response.setHeader('Connection', 'close');
    response.status(401).json({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'a valid API key is required (x-api-key header or Bearer token)',
      requestId: String((request as { id?: unknown }).id ?? ''),
    });
  };
}
