import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { LaneUsageDto } from '../dto/usage.dto';
import { formatUsd } from '../money';

const LANES = ['live', 'batch'] as const;

/**
 * Spend per lane over a period, from `provider_calls` (one row per live call or batch, far
 * fewer than ledger rows; indexed by time): the rollups are keyed by model, category and
 * purpose, not lane. A call not billed counts nothing; an unconfirmed one counts its estimate.
 */
@Injectable()
export class LaneUsage {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async between(from: Date, to: Date): Promise<LaneUsageDto[]> {
    const rows: Array<{ lane: 'live' | 'batch'; calls: string; items: string; tokens: string; cost: string; unconfirmed: string }> =
      await this.db.query(
        `SELECT lane, count(*) AS calls, sum(inputs) AS items, sum(coalesce(reported_tokens, local_tokens)) AS tokens,
              sum(cost_usd)::text AS cost, coalesce(sum(cost_usd) FILTER (WHERE status = 'unconfirmed'), 0)::text AS unconfirmed
       FROM provider_calls WHERE created_at >= $1 AND created_at < $2 AND status <> 'not_billed' GROUP BY lane`,
        [from.toISOString(), to.toISOString()],
      );
    return LANES.map((lane) => {
      const row = rows.find((candidate) => candidate.lane === lane);
      return {
        lane,
        calls: Number(row?.calls ?? 0),
        items: Number(row?.items ?? 0),
        tokens: Number(row?.tokens ?? 0),
        costUsd: formatUsd(row?.cost ?? '0'),
        unconfirmedCostUsd: formatUsd(row?.unconfirmed ?? '0'),
      };
    });
  }
}
