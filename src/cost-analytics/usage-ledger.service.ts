import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { allocateBilledTokens } from './billed-tokens';
import { ledgerSettleSql, ledgerWriteSql } from './ledger-write-sql';
import { PreparedStatement } from './prepared-statement';
import { totalsShard } from './rollups/rollup-tables';
import type { UsagePurpose } from './usage-purpose';

export interface LedgerItem {
  qaPairId?: string;
  category?: string;
  purpose: UsagePurpose;
  /** Counted locally (cl100k_base) before sending. */
  tokens: number;
}

export interface ProviderCallRecord {
  callId: string;
  modelId: number;
  requestId?: string;
  durationMs: number;
  /** What the provider says it counted for the whole request, when it says. */
  reportedTokens?: number;
  /** The call's time; defaults to the database clock. Decides the price and the rollup buckets. */
  occurredAt?: Date;
  /** One entry per input, with tokens counted locally before sending. */
  items: LedgerItem[];
  /** `batch`: an OpenAI Batch API batch, priced at the model's batch price. Default `live`. */
  lane?: 'live' | 'batch';
  /** The OpenTelemetry trace the call was made in (32 hex digits), when tracing is on. */
  traceId?: string;
}

/** A call about to be sent: recorded as unconfirmed spend at its locally counted tokens. */
export type PendingCallRecord = Omit<ProviderCallRecord, 'requestId' | 'durationMs' | 'reportedTokens'>;

/** How an unconfirmed call ended. */
export type CallSettlement =
  | { outcome: 'confirmed'; requestId?: string; durationMs: number; reportedTokens?: number }
  | { outcome: 'not_billed'; requestId?: string; durationMs: number; error: string };

const LEDGER_WRITE = new PreparedStatement<{ calls: number }>(ledgerWriteSql({ rollups: true }));
const LEDGER_SETTLE = new PreparedStatement<{ settled: number }>(ledgerSettleSql());

/**
 * Writes the usage ledger: one provider_calls row per request, one usage_ledger row per
 * embedded item and the usage rollups, in one statement each time. Each item keeps its
 * local token count and carries its share of what the provider reported (billed tokens,
 * priced at the model's price effective at the call's time, exact numeric in SQL); the
 * call keeps the difference between reported and local.
 *
 * A paid call is recorded BEFORE it is sent (`recordPending`: unconfirmed spend at the
 * local count, which budgets and the hard cap count) and settled when the answer comes
 * (`settle`: confirmed with the provider's usage, or not billed). A call whose answer
 * never came (the worker died, the connection dropped) stays unconfirmed: spend whose
 * outcome is unknown, never nothing.
 */
@Injectable()
export class UsageLedgerService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records a call already answered (confirmed at once). */
  async recordCall(call: ProviderCallRecord): Promise<void> {
    await this.write(ledgerWriteParameters(call, 'confirmed'), call.modelId);
  }

  /** Records a call about to be sent, as unconfirmed spend; nothing may be sent if this throws. */
  async recordPending(call: PendingCallRecord): Promise<void> {
    await this.write(ledgerWriteParameters({ ...call, durationMs: 0 }, 'unconfirmed'), call.modelId);
  }

  /**
   * Settles an unconfirmed call with its outcome. `items` are the call's items as recorded
   * (their local tokens share out the reported usage). Returns false if the call was
   * already settled (or never recorded): nothing changed.
   */
  async settle(callId: string, items: readonly LedgerItem[], settlement: CallSettlement): Promise<boolean> {
    const confirmed = settlement.outcome === 'confirmed';
    const billed = confirmed
      ? allocateBilledTokens(
          items.map((item) => item.tokens),
          settlement.reportedTokens,
        )
      : [];
    const [row] = await LEDGER_SETTLE.run(this.db, [
      callId,
      settlement.outcome,
      settlement.requestId ?? null,
      confirmed ? (settlement.reportedTokens ?? null) : null,
      Math.round(settlement.durationMs),
      billed.reduce((sum, tokens) => sum + tokens, 0),
      billed,
      confirmed ? null : settlement.error.slice(0, 1000),
      totalsShard(callId),
    ]);
    return row?.settled === 1;
  }

  /**
   * Settles an unconfirmed batch call item by item: each item billed what its output line
   * reported (0 for a line that failed or never ran). Like `settle`, only once.
   */
  async settleItems(callId: string, billedPerItem: readonly number[], requestId: string, durationMs: number): Promise<boolean> {
    const total = billedPerItem.reduce((sum, tokens) => sum + tokens, 0);
    const [row] = await LEDGER_SETTLE.run(this.db, [
      callId,
      'confirmed',
      requestId,
      total,
      Math.round(durationMs),
      total,
      billedPerItem,
      null,
      totalsShard(callId),
    ]);
    return row?.settled === 1;
  }

  private async write(parameters: unknown[], modelId: number): Promise<void> {
    const [written] = await LEDGER_WRITE.run(this.db, parameters);
    if (written?.calls !== 1) throw new Error(`usage not recorded: embedding model ${modelId} does not exist`);
  }
}

/** The parameters of `ledgerWriteSql`, in its order. */
export function ledgerWriteParameters(call: ProviderCallRecord, status: 'confirmed' | 'unconfirmed' = 'confirmed'): unknown[] {
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
    status,
    call.lane ?? 'live',
    call.traceId ?? null,
    // Last: the variant without rollups (bench/benchmarks/cost-report.ts) drops it.
    totalsShard(call.callId),
  ];
}
