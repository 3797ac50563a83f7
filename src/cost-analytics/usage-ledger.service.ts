import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { allocateBilledTokens } from './billed-tokens';
import { ledgerWriteSql } from './ledger-write-sql';
import { PreparedStatement } from './prepared-statement';
import { totalsShard } from './rollups/rollup-tables';
import type { UsagePurpose } from './usage-purpose';

export interface ProviderCallRecord {
  callId: string;
  modelId: number;
  requestId?: string;
  durationMs: number;
  /** What the provider says it counted for the whole request, when it says. */
  reportedTokens?: number;
  /** When the provider answered; defaults to the database clock. Decides the price and the rollup buckets. */
  occurredAt?: Date;
  /** One entry per input, with tokens counted locally before sending. */
  items: Array<{ qaPairId?: string; category?: string; purpose: UsagePurpose; tokens: number }>;
}

const LEDGER_WRITE = new PreparedStatement<{ calls: number }>(ledgerWriteSql({ rollups: true }));

/**
 * Writes the usage ledger: one provider_calls row per request, one usage_ledger row per
 * embedded item and the usage rollups, in one statement. Each item keeps its local token
 * count and carries its share of what the provider reported (billed tokens, priced at
 * the model's price effective at the call's time, exact numeric in SQL); the call keeps
 * the difference between reported and local.
 */
@Injectable()
export class UsageLedgerService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async recordCall(call: ProviderCallRecord): Promise<void> {
    const [written] = await LEDGER_WRITE.run(this.db, ledgerWriteParameters(call));
    if (written?.calls !== 1) throw new Error(`usage not recorded: embedding model ${call.modelId} does not exist`);
  }
}

/** The parameters of `ledgerWriteSql`, in its order. */
export function ledgerWriteParameters(call: ProviderCallRecord): unknown[] {
  const localTokens = call.items.map((item) => item.tokens);
  const billedTokens = allocateBilledTokens(localTokens, call.reportedTokens);
  const purposes = new Set(call.items.map((item) => item.purpose));
  const callPurpose = purposes.size === 1 ? call.items[0].purpose : 'mixed';
  return [
    call.callId,
    call.modelId,
    callPurpose,
    call.requestId ?? null,
    call.items.length,
    localTokens.reduce((sum, tokens) => sum + tokens, 0),
    call.reportedTokens ?? null,
    Math.round(call.durationMs),
    call.occurredAt ?? null,
    billedTokens.reduce((sum, tokens) => sum + tokens, 0),
    call.items.map((item) => item.qaPairId ?? null),
    call.items.map((item) => item.category ?? null),
    call.items.map((item) => item.purpose),
    localTokens,
    billedTokens,
    totalsShard(call.callId),
  ];
}
