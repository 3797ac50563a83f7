import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ReconciliationDto } from '../dto/reconciliation.dto';
import { formatUsd } from '../money';
import { RollupReader } from '../rollups/rollup-reader';
import { type CostReportOptions, CostReportService, usageSummary } from './cost-report.service';
import { readPage } from '../../database/read-page';

interface CallRow {
  id: string;
  model: string;
  request_id: string | null;
  created_at: Date;
  inputs: number;
  local_tokens: number;
  reported_tokens: number;
  token_difference: number;
  cost_usd: string | null;
}

/**
 * Where the provider's count and ours disagree: totals from the rollups (billed vs local
 * tokens), and the calls themselves through the partial index on token_difference <> 0,
 * which holds only the (few) calls that differ.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly reports: CostReportService,
    private readonly reader: RollupReader,
  ) {}

  async reconciliation(
    startDate: string,
    endDate: string,
    options: CostReportOptions & { limit: number; offset: number },
  ): Promise<ReconciliationDto> {
    const { days, timeZone } = await this.reports.localDays(startDate, endDate, options);
    const from = days[0].startsAt;
    const to = days[days.length - 1].endsAt;
    const [[totals], { rows, total }] = await Promise.all([
      this.reader.totals([{ from: from.getTime(), to: to.getTime() }]),
      readPage<CallRow>(
        this.db,
        {
          sql: `SELECT c.id, m.name AS model, c.request_id, c.created_at, c.inputs, c.local_tokens, c.reported_tokens,
                       c.token_difference, c.cost_usd::text AS cost_usd
                FROM provider_calls c JOIN embedding_models m ON m.id = c.model_id
                WHERE c.token_difference <> 0 AND c.created_at >= $1 AND c.created_at < $2
                ORDER BY c.created_at DESC, c.id LIMIT $3 OFFSET $4`,
          params: [from.toISOString(), to.toISOString(), options.limit, options.offset],
        },
        {
          sql: `SELECT count(*)::int AS total FROM provider_calls WHERE token_difference <> 0 AND created_at >= $1 AND created_at < $2`,
          params: [from.toISOString(), to.toISOString()],
        },
      ),
    ]);
    return {
      periodStart: startDate,
      periodEnd: endDate,
      timeZone,
      totals: usageSummary(totals),
      callsWithDifference: total,
      calls: rows.map((row) => ({
        callId: row.id,
        model: row.model,
        requestId: row.request_id,
        createdAt: row.created_at,
        inputs: row.inputs,
        localTokens: row.local_tokens,
        reportedTokens: row.reported_tokens,
        tokenDifference: row.token_difference,
        costUsd: row.cost_usd === null ? null : formatUsd(row.cost_usd),
      })),
    };
  }
}
