import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A budget's alert fires once per period, threshold AND limit: a limit changed mid-period
 * alerts again on its own crossings (the old key silenced them), still once each however
 * many schedulers check, since the key is still unique.
 */
export class AlertsPerLimit1765100000410 implements MigrationInterface {
  name = 'AlertsPerLimit1765100000410';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE cost_alerts DROP CONSTRAINT cost_alerts_budget_id_period_start_threshold_percent_key`);
    await db.query(
      `ALTER TABLE cost_alerts ADD CONSTRAINT cost_alerts_once_per_limit UNIQUE (budget_id, period_start, threshold_percent, limit_usd)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE cost_alerts DROP CONSTRAINT cost_alerts_once_per_limit`);
    // Keeps the latest alert of each (budget, period, threshold) so the old key can hold.
    await db.query(`
      DELETE FROM cost_alerts a USING cost_alerts b
      WHERE a.budget_id = b.budget_id AND a.period_start = b.period_start AND a.threshold_percent = b.threshold_percent
        AND (a.fired_at, a.id) < (b.fired_at, b.id)`);
    await db.query(
      `ALTER TABLE cost_alerts ADD CONSTRAINT cost_alerts_budget_id_period_start_threshold_percent_key UNIQUE (budget_id, period_start, threshold_percent)`,
    );
  }
}
