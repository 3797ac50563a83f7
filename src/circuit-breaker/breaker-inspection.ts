import type { Redis } from 'ioredis';
import { breakerKeys, breakerRegistryKey, breakerScriptKeys } from './breaker-keys';
import type { BreakerOpenCause, BreakerSnapshot, BreakerState, BreakerTransition, ForcedState } from './breaker-types';
import { LuaScript } from './lua-script';
import { BREAKER_SNAPSHOT_LUA } from './scripts/breaker-snapshot.lua';

const SNAPSHOT_SCRIPT = new LuaScript(BREAKER_SNAPSHOT_LUA);

/** What the snapshot script returns; absent fields were never set. */
interface RawSnapshot {
  name: string;
  state: BreakerState;
  forced: ForcedState | '';
  forcedReason?: string;
  consecutiveFailures: number;
  halfOpenSuccesses: number;
  windowCalls: number;
  windowFailures: number;
  windowMs: number;
  openedAt?: number;
  nextProbeAt?: number;
  lastError?: { message: string; at: number };
  openCause?: BreakerOpenCause;
  probesInFlight: number;
  transitions: number;
  at: number;
}

/** Reads one breaker's state from Redis without changing it; a breaker without keys reads as closed. */
export async function readBreakerSnapshot(redis: Redis, keyPrefix: string, name: string): Promise<BreakerSnapshot> {
  const keys = breakerScriptKeys(breakerKeys(keyPrefix, name));
  const raw = JSON.parse(String(await SNAPSHOT_SCRIPT.run(redis, keys, [name, 0]))) as RawSnapshot;
  return {
    name: raw.name,
    state: raw.state,
    forced: raw.forced || null,
    forcedReason: raw.forcedReason || null,
    consecutiveFailures: raw.consecutiveFailures,
    halfOpenSuccesses: raw.halfOpenSuccesses,
    window: { calls: raw.windowCalls, failures: raw.windowFailures, windowMs: raw.windowMs },
    openedAt: raw.openedAt ?? null,
    nextProbeAt: raw.nextProbeAt ?? null,
    lastError: raw.lastError ?? null,
    openCause: raw.state === 'closed' ? null : (raw.openCause ?? null),
    probesInFlight: raw.probesInFlight,
    transitions: raw.transitions,
    at: raw.at,
  };
}

/** The breaker's transitions, newest first. */
export async function readBreakerHistory(redis: Redis, keyPrefix: string, name: string, limit = 50): Promise<BreakerTransition[]> {
  const entries = await redis.lrange(breakerKeys(keyPrefix, name).history, 0, limit - 1);
  return entries.map(parseTransition);
}

/** Snapshots of every breaker under the prefix that has recorded a call or been controlled, by name. */
export async function listBreakers(redis: Redis, keyPrefix: string): Promise<BreakerSnapshot[]> {
  const names = (await redis.smembers(breakerRegistryKey(keyPrefix))).sort();
  return Promise.all(names.map((name) => readBreakerSnapshot(redis, keyPrefix, name)));
}

export function parseTransition(entry: string): BreakerTransition {
  const raw = JSON.parse(entry) as Omit<BreakerTransition, 'forced'> & { forced: ForcedState | '' };
  return { ...raw, forced: raw.forced || null };
}
