import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { UsagePurpose } from './usage-purpose';

export interface ProviderCallRecord {
  callId: string;
  modelId: number;
  requestId?: string;
  durationMs: number;
  /** What the provider says it counted for the whole request, when it says. */
  reportedTokens?: number;
  /** One entry per input, with tokens counted locally before sending. */
  items: Array<{ qaPairId?: string; category?: string; purpose: UsagePurpose; tokens: number }>;
}

/**
 * Writes the usage ledger: one provider_calls row per request and one usage_ledger row
 * per embedded item, priced at the model's price at write time (exact numeric in SQL).
 */
@Injectable()
export class UsageLedgerService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async recordCall(call: ProviderCallRecord): Promise<void> {
    const localTokens = call.items.reduce((sum, item) => sum + item.tokens, 0);
    const purposes = new Set(call.items.map((item) => item.purpose));
    const callPurpose = purposes.size === 1 ? call.items[0].purpose : 'mixed';
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO provider_calls (id, model_id, purpose, request_id, inputs, local_tokens, reported_tokens, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [call.callId, call.modelId, callPurpose, call.requestId ?? null, call.items.length, localTokens,
          call.reportedTokens ?? null, Math.round(call.durationMs)],
      );
      await tx.query(
        `INSERT INTO usage_ledger (call_id, model_id, qa_pair_id, category, purpose, tokens, cost_usd)
         SELECT $1, m.id, item.qa_pair_id, item.category, item.purpose, item.tokens,
                item.tokens * m.price_per_million_tokens / 1000000
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::int[]) AS item(qa_pair_id, category, purpose, tokens)
         JOIN embedding_models m ON m.id = $2`,
        [call.callId, call.modelId,
          call.items.map((item) => item.qaPairId ?? null),
          call.items.map((item) => item.category ?? null),
          call.items.map((item) => item.purpose),
          call.items.map((item) => item.tokens)],
      );
    });
  }
}
