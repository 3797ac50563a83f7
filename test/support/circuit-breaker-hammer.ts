import { Redis } from 'ioredis';
import { CircuitBreaker } from '../../src/circuit-breaker';
import type { Admission, CircuitBreakerOptions } from '../../src/circuit-breaker';
import { TEST_REDIS_URL } from './test-env';

/**
 * A child process for test/integration/circuit-breaker-multiprocess.spec.ts: one breaker on
 * its own Redis connection, driven by IPC messages from the test.
 *   { type: 'fail', calls }    -> `calls` concurrent acquire + recordFailure; replies { allowed, rejected }
 *   { type: 'acquire', calls } -> `calls` concurrent acquires, probes kept; replies { allowed, probes, rejected }
 *   { type: 'succeed-probes' } -> records success for the probes kept; replies { recorded }
 *   { type: 'exit' }
 */
export type HammerCommand = { type: 'fail'; calls: number } | { type: 'acquire'; calls: number } | { type: 'succeed-probes' } | { type: 'exit' };
export interface HammerReply {
  allowed?: number;
  probes?: number;
  rejected?: number;
  recorded?: number;
}

const options = JSON.parse(process.argv[2]) as CircuitBreakerOptions;
const redis = new Redis(TEST_REDIS_URL);
const breaker = new CircuitBreaker(redis, options);
let heldProbes: Admission[] = [];

async function handle(command: HammerCommand): Promise<HammerReply> {
  switch (command.type) {
    case 'fail': {
      const admissions = await Promise.all(
        Array.from({ length: command.calls }, async () => {
          const admission = await breaker.acquire();
          if (admission.allowed) await breaker.recordFailure(admission, new Error('upstream 503'), 1);
          return admission;
        }),
      );
      return count(admissions);
    }
    case 'acquire': {
      const admissions = await Promise.all(Array.from({ length: command.calls }, () => breaker.acquire()));
      heldProbes = admissions.filter((admission) => admission.probe);
      return count(admissions);
    }
    case 'succeed-probes': {
      await Promise.all(heldProbes.map((admission) => breaker.recordSuccess(admission, 1)));
      return { recorded: heldProbes.length };
    }
    case 'exit':
      await redis.quit();
      process.exit(0);
  }
}

function count(admissions: Admission[]): HammerReply {
  return {
    allowed: admissions.filter((admission) => admission.allowed).length,
    probes: admissions.filter((admission) => admission.probe).length,
    rejected: admissions.filter((admission) => !admission.allowed).length,
  };
}

process.on('message', (command: HammerCommand) => {
  handle(command).then(
    (reply) => process.send?.(reply),
    (error: unknown) => {
      process.stderr.write(`hammer child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});

void redis.ping().then(() => process.send?.({ ready: true }));
