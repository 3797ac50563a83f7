import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { GateInterruptedError, type GatePass, ProviderGate, ProviderUnavailableError, type UnavailableReason } from '../../src/circuit-breaker';
import type { GateOutlook } from '../../src/circuit-breaker/provider-gate';

const POLL_MS = 20;

function unavailable(reason: UnavailableReason, retryInMs = 1_000): ProviderUnavailableError {
  return new ProviderUnavailableError('openai', reason, retryInMs, `unavailable: ${reason}`);
}

/** A gate whose breaker says whatever `outlook` holds at each read. */
function newGate() {
  const breaker: { outlook: GateOutlook; reads: number } = { outlook: { kind: 'wait', checkInMs: 1_000 }, reads: 0 };
  const gate = new ProviderGate(
    'model-a',
    async () => {
      breaker.reads++;
      return breaker.outlook;
    },
    POLL_MS,
    new Logger('test'),
  );
  return { gate, breaker };
}

/** Starts `count` jobs at the gate; `passed` collects the passes in the order granted. */
function waitAt(gate: ProviderGate, count: number) {
  const passed: GatePass[] = [];
  const rejected: unknown[] = [];
  for (let i = 0; i < count; i++)
    void gate.pass().then(
      (pass) => passed.push(pass),
      (error: unknown) => rejected.push(error),
    );
  return { passed, rejected };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await sleep(10);
  }
  throw new Error(`never happened: ${what}`);
}

describe('ProviderGate', () => {
  it('lets everything through while open', async () => {
    const { gate } = newGate();
    await expect(gate.pass()).resolves.toBeDefined();
    expect(gate.isBlocked).toBe(false);
  });

  it('holds jobs while the breaker is open, lets one probe through at a time, and opens when it closes', async () => {
    const { gate, breaker } = newGate();
    gate.block(unavailable('breaker_open'));
    const jobs = waitAt(gate, 5);
    await until(() => breaker.reads >= 3, 'the gate reads the breaker');
    expect(jobs.passed).toHaveLength(0);
    expect(gate.held).toBe(5);

    breaker.outlook = { kind: 'probe' };
    await until(() => jobs.passed.length === 1, 'one probe let through');
    const reads = breaker.reads;
    await until(() => breaker.reads >= reads + 3, 'more reads');
    expect(jobs.passed).toHaveLength(1); // its outcome is not known yet: no second probe

    // The probe failed (the breaker opened again), then another one is due.
    gate.block(unavailable('breaker_open'));
    jobs.passed[0].done();
    await until(() => jobs.passed.length === 2, 'the next probe');

    breaker.outlook = { kind: 'closed' };
    jobs.passed[1].done();
    await until(() => jobs.passed.length === 5, 'everyone through once closed');
    expect(gate.isBlocked).toBe(false);
    expect(gate.held).toBe(0);
  });

  it('opens by itself when a rate-budget block ends', async () => {
    const { gate, breaker } = newGate();
    gate.block(unavailable('rate_limited', 50));
    const jobs = waitAt(gate, 3);
    await until(() => jobs.passed.length === 3, 'released after the block');
    expect(breaker.reads).toBe(0);
    expect(gate.isBlocked).toBe(false);
  });

  it('keeps a breaker block when a budget refusal arrives meanwhile', async () => {
    const { gate, breaker } = newGate();
    gate.block(unavailable('breaker_open'));
    gate.block(unavailable('rate_limited', 10));
    const jobs = waitAt(gate, 1);
    await until(() => breaker.reads >= 5, 'still watching the breaker');
    expect(jobs.passed).toHaveLength(0);
    breaker.outlook = { kind: 'closed' };
    await until(() => jobs.passed.length === 1, 'released when closed');
  });

  it('lets waiting jobs go with GateInterruptedError on shutdown, and refuses new ones while blocked', async () => {
    const { gate } = newGate();
    gate.block(unavailable('breaker_open', 5_000));
    const jobs = waitAt(gate, 2);
    await until(() => gate.held === 2, 'two waiting');
    gate.interrupt();
    await until(() => jobs.rejected.length === 2, 'both let go');
    expect(jobs.rejected[0]).toBeInstanceOf(GateInterruptedError);
    expect((jobs.rejected[0] as GateInterruptedError).retryInMs).toBeGreaterThan(1_000);
    await expect(gate.pass()).rejects.toBeInstanceOf(GateInterruptedError);
  });
});
