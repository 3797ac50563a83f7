import type { MigrationProgress } from './migration-types';
import type { ModelMigrationEntity } from './model-migration.entity';

type ProgressFields = Pick<ModelMigrationEntity, 'total' | 'completed' | 'failed'>;

export function progressOf(migration: ProgressFields): MigrationProgress {
  const { total, completed, failed } = migration;
  const done = Math.min(total, completed + failed);
  return { total, completed, failed, percentage: total === 0 ? 100 : Math.floor((done / total) * 10_000) / 100 };
}

/** Seconds left at the measured rate while running; 0 once filled; null while unknown or paused. */
export function etaSecondsOf(migration: ProgressFields & Pick<ModelMigrationEntity, 'state' | 'pairsPerSecond' | 'filledAt'>): number | null {
  if (migration.filledAt) return 0;
  if (migration.state !== 'running' || !migration.pairsPerSecond) return null;
  const remaining = Math.max(0, migration.total - migration.completed - migration.failed);
  return Math.ceil(remaining / migration.pairsPerSecond);
}
