import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { presentedKey } from '../auth/api-keys';
import { badRequest } from '../errors';

/** A create made with an `Idempotency-Key`: who asked (hashed API key), the key, and what was asked (hashed). */
export interface IdempotentRequest {
  clientHash: string;
  key: string;
  requestHash: string;
}

const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/**
 * Reads the `Idempotency-Key` header of a request: undefined without one, a 400 naming the
 * header when it is not 1–255 visible ASCII characters. The API key is kept only as its
 * SHA-256; the request is identified by its route and parsed body.
 */
export function idempotentRequest(request: Request, route: string): IdempotentRequest | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header.join(',') : header;
  if (!KEY_SHAPE.test(key)) throw badRequest('Idempotency-Key', 'must be 1 to 255 visible ASCII characters (a UUID, say)');
  return {
    clientHash: sha256(presentedKey(request) ?? ''),
    key,
    requestHash: sha256(`${route}\n${JSON.stringify(request.body ?? null)}`),
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
