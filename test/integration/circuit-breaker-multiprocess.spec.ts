import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/circuit-breaker';
import type { HammerCommand, HammerReply } from '../support/circuit-breaker-hammer';
import { TEST_REDIS_URL } from '../support/test-env';

const ROOT = join(__dirname, '..', '..');
const PROCESSES = 4;

/** Several processes, each with its own connection, drive one breaker at once. */
describe('circuit breaker shared by several processes', () => {
  const redis = new Redis(TEST_REDIS_URL);
  const keyPrefix = `test:cb-mp:${randomBytes(4).toString('hex')}:`;
  let children: ChildProcess[] = [];

  async function startChildren(options: CircuitBreakerOptions): Promise<void> {
    children = Array.from({ length: PROCESSES }, () =>
      fork(join(ROOT, 'test/support/circuit-breaker-hammer.ts'), [JSON.stringify(options)], {
        execPath: join(ROOT, 'node_modules/.bin/node'),
        execArgv: ['-r', join(ROOT, 'test/support/register-swc.js')],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    await Promise.all(children.map((child) => nextMessage(child)));
  }

  function sendAll(command: HammerCommand): Promise<HammerReply[]> {
    return Promise.all(
      children.map((child) => {
        const reply = nextMessage(child) as Promise<HammerReply>;
        child.send(command);
        return reply;
      }),
    );
  }

  afterEach(async () => {
    await Promise.all(children.map(stopChild));
    children = [];
  });

  afterAll(async () => {
    await deleteKeys(redis, keyPrefix);
    await redis.quit();
  });

  it('counts every concurrent failure exactly once and opens exactly once', async () => {
    const callsPerProcess = 50;
    const options = { name: 'hammer-failures', keyPrefix, failureThreshold: PROCESSES * callsPerProcess };
    await startChildren(options);

    const replies = await sendAll({ type: 'fail', calls: callsPerProcess });

    const breaker = new CircuitBreaker(redis, options);
    const snapshot = await breaker.snapshot();
    expect(replies.reduce((sum, reply) => sum + (reply.allowed ?? 0), 0)).toBe(PROCESSES * callsPerProcess);
    expect(snapshot.consecutiveFailures).toBe(PROCESSES * callsPerProcess);
    expect(snapshot.state).toBe('open');
    expect(snapshot.transitions).toBe(1);
    expect((await breaker.history()).map(({ from, to }) => `${from}->${to}`)).toEqual(['closed->open']);
  });

  it('admits exactly halfOpenMaxProbes probes across processes, then closes once', async () => {
    const options = {
      name: 'hammer-probes',
      keyPrefix,
      failureThreshold: 1,
      recoveryTimeoutMs: 200,
      halfOpenMaxProbes: 2,
      successThreshold: 2,
    };
    const breaker = new CircuitBreaker(redis, options);
    await breaker.recordFailure(await breaker.acquire(), new Error('upstream 503'));
    await startChildren(options);
    while ((await breaker.state()) !== 'half_open') await sleep(50);

    const replies = await sendAll({ type: 'acquire', calls: 25 });
    const probes = replies.reduce((sum, reply) => sum + (reply.probes ?? 0), 0);
    const rejected = replies.reduce((sum, reply) => sum + (reply.rejected ?? 0), 0);
    expect(probes).toBe(2);
    expect(rejected).toBe(PROCESSES * 25 - 2);
    expect((await breaker.snapshot()).probesInFlight).toBe(2);

    await sendAll({ type: 'succeed-probes' });
    expect(await breaker.state()).toBe('closed');
    expect((await breaker.history()).map(({ from, to }) => `${from}->${to}`).reverse()).toEqual([
      'closed->open',
      'open->half_open',
      'half_open->closed',
    ]);
  });
});

function stopChild(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.send({ type: 'exit' } satisfies HammerCommand);
  });
}

function nextMessage(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`hammer child exited with ${code} before answering`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message);
    });
  });
}

async function deleteKeys(redis: Redis, keyPrefix: string): Promise<void> {
  for await (const keys of redis.scanStream({ match: `${keyPrefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) await redis.del(...keys);
  }
}
