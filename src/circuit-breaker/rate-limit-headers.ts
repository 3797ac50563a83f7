export type HeaderSource = Headers | Record<string, string | string[] | null | undefined>;

/** What OpenAI's `x-ratelimit-*` response headers say; a header that is absent or unreadable is left out. */
export interface ProviderRateLimits {
  limitRequests?: number;
  limitTokens?: number;
  remainingRequests?: number;
  remainingTokens?: number;
  resetRequestsMs?: number;
  resetTokensMs?: number;
}

export function readRateLimitHeaders(headers: HeaderSource): ProviderRateLimits {
  const read = (name: string): string | undefined => {
    const value = headers instanceof Headers ? headers.get(name) : headers[name];
    return (Array.isArray(value) ? value[0] : value) ?? undefined;
  };
  const limits: ProviderRateLimits = {
    limitRequests: count(read('x-ratelimit-limit-requests')),
    limitTokens: count(read('x-ratelimit-limit-tokens')),
    remainingRequests: count(read('x-ratelimit-remaining-requests')),
    remainingTokens: count(read('x-ratelimit-remaining-tokens')),
    resetRequestsMs: durationMs(read('x-ratelimit-reset-requests')),
    resetTokensMs: durationMs(read('x-ratelimit-reset-tokens')),
  };
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
}

function count(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** Reads OpenAI's Go-style durations ("6m0s", "1.5s", "20ms"); a bare number is seconds. */
function durationMs(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const parts = [...text.matchAll(DURATION_PART)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) return undefined;
  return Math.ceil(parts.reduce((total, [, value, unit]) => total + Number(value) * UNIT_MS[unit], 0));
}
