import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

export type KeyRole = 'user' | 'admin';

/**
 * The configured keys, held only as SHA-256 digests and compared in constant time, so a
 * key never sits in memory dumps in the clear longer than boot and timing tells nothing.
 */
export class ApiKeys {
  private readonly digests: Array<{ digest: Buffer; role: KeyRole }>;

  constructor(userKeys: string[], adminKeys: string[]) {
    this.digests = [
      ...userKeys.map((key) => ({ digest: sha256(key), role: 'user' as const })),
      ...adminKeys.map((key) => ({ digest: sha256(key), role: 'admin' as const })),
    ];
  }

  /** The role of a presented key, or undefined when it is unknown. Admin wins. */
  roleOf(presented: string | undefined): KeyRole | undefined {
    if (!presented) return undefined;
    const digest = sha256(presented);
    let role: KeyRole | undefined;
    for (const entry of this.digests) {
      if (timingSafeEqual(entry.digest, digest) && role !== 'admin') role = entry.role;
    }
    return role;
  }
}

/** The key from `x-api-key` or `Authorization: Bearer …`. */
export function presentedKey(request: Pick<Request, 'headers'>): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  return undefined;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
