/** Key layout of one breaker. No key has a TTL: probe leases expire by their scores in `probes`. */
export interface BreakerKeys {
  /** Hash: state, forced flag, counters, openedAt, nextProbeAt, lastError, transitions. */
  state: string;
  /** Zset: probe permit id -> lease end (epoch ms). */
  probes: string;
  /** Hash: calls and failures per bucket of the failure-rate window. */
  window: string;
  /** List of transitions as JSON, newest first, capped at historySize. */
  history: string;
  /** Set of every breaker name under the prefix, read by `listBreakers`. */
  registry: string;
}

export function breakerKeys(keyPrefix: string, name: string): BreakerKeys {
  const base = `${keyPrefix}breaker:${name}`;
  return {
    state: `${base}:state`,
    probes: `${base}:probes`,
    window: `${base}:window`,
    history: `${base}:history`,
    registry: breakerRegistryKey(keyPrefix),
  };
}

export function breakerRegistryKey(keyPrefix: string): string {
  return `${keyPrefix}breakers`;
}

/** The KEYS every breaker script takes, in the order the scripts' prelude names them. */
export function breakerScriptKeys(keys: BreakerKeys): string[] {
  return [keys.state, keys.probes, keys.window, keys.history, keys.registry];
}
