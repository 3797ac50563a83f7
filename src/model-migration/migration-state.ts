/**
 * A migration's life:
 *
 *   running ⇄ paused            filling the target model (paused: nothing new is fed)
 *   running → ready             every pair is embedded under the target; waits for a cutover on request
 *   running | ready → cut_over  the target serves search; the source is kept current for a rollback
 *   cut_over → rolled_back      the source serves search again
 *   running | paused | ready → cancelled   stopped by request (or its source stopped being active)
 *   running → failed            the failure share passed the limit; search never left the source
 *
 * Cleanup (deleting the losing model's vectors) is a flag on the four ended states, not a state.
 */
export const MIGRATION_STATES = ['running', 'paused', 'ready', 'cut_over', 'rolled_back', 'cancelled', 'failed'] as const;
export type MigrationState = (typeof MIGRATION_STATES)[number];

/** The target is being filled and kept current; at most one such migration per model pair (a unique index). */
export const IN_PROGRESS_STATES: readonly MigrationState[] = ['running', 'paused', 'ready'];

/** States after which the migration will not change by itself; a progress stream ends on them. */
export const SETTLED_STATES: readonly MigrationState[] = ['ready', 'cut_over', 'rolled_back', 'cancelled', 'failed'];

/** States whose losing model's vectors may be deleted. */
export const CLEANABLE_STATES: readonly MigrationState[] = ['cut_over', 'rolled_back', 'cancelled', 'failed'];

export function isSettled(state: MigrationState): boolean {
  return SETTLED_STATES.includes(state);
}

/**
 * Of a migration's two models (or their ids), the one whose vectors a cleanup deletes:
 * the source after a cutover, the target otherwise.
 */
export function losingSide<T>(state: MigrationState, from: T, to: T): T {
  return state === 'cut_over' ? from : to;
}
