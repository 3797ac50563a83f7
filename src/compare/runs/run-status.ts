import type { CompareRun, RunStatus } from './compare-runs';
import { PROGRESS_WRITE_INTERVAL_MS } from './run-progress';

/**
 * A running run whose heartbeat is older than this lost its worker (killed, or Redis
 * lost its job): 60 missed progress writes.
 */
export const RUNNING_STALE_AFTER_MS = 60 * PROGRESS_WRITE_INTERVAL_MS;
/** A queued run is looked up in Redis only after this long (the row is written before its job). */
export const QUEUED_GRACE_MS = 5_000;

export const LOST_WORKER = 'the worker running it stopped reporting progress (it was stopped, or Redis lost its job); retry it';
export const LOST_JOB = 'its job is no longer queued (Redis lost it); retry it';

/**
 * What a stored run really is now. `jobQueued` says whether Redis still holds the job of
 * a queued run (undefined: not looked up, or Redis did not answer).
 */
export function effectiveStatus(run: CompareRun, now: Date, jobQueued?: boolean): { status: RunStatus; error: string | null } {
  const silentMs = now.getTime() - run.heartbeatAt.getTime();
  if (run.status === 'running' && silentMs > RUNNING_STALE_AFTER_MS) return { status: 'interrupted', error: LOST_WORKER };
  if (run.status === 'queued' && jobQueued === false) return { status: 'interrupted', error: LOST_JOB };
  return { status: run.status, error: run.error };
}

/** Whether a queued run is old enough that a missing job means it was lost. */
export function queuedLongEnough(run: CompareRun, now: Date): boolean {
  return run.status === 'queued' && now.getTime() - run.heartbeatAt.getTime() > QUEUED_GRACE_MS;
}
