/** The shared ioredis client for our own keys (Bull opens its own connections). */
export const REDIS = Symbol('REDIS');
