import type { NextFunction, Request, Response } from 'express';
import { type ApiKeys, presentedKey } from './auth/api-keys';

/**
 * Guards raw Express mounts (Bull Board) that Nest guards never see: an admin key as
 * x-api-key, Bearer, or the password of HTTP Basic auth (so a browser can log in).
 */
export function adminAuthMiddleware(keys: ApiKeys) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (keys.roleOf(presentedKey(request) ?? basicPassword(request)) === 'admin') return next();
    response.setHeader('WWW-Authenticate', 'Basic realm="embedding-service admin", charset="UTF-8"');
    // Refused before any body was read: close rather than read the rest of it.
    response.setHeader('Connection', 'close');
    response.status(401).json({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'an admin API key is required',
      requestId: String((request as { id?: unknown }).id ?? ''),
    });
  };
}

function basicPassword(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}
