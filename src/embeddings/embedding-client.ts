import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ProviderGuards } from '../circuit-breaker/provider-guards';
import { ProviderUnavailableError } from '../circuit-breaker/provider-unavailable-error';
import { PAID_WORK_HOLD_MS, retryWhileDependencyDown } from '../common/dependency-errors';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { type CallSettlement, type LedgerItem, UsageLedgerService } from '../cost-analytics/usage-ledger.service';
import type { UsagePurpose } from '../cost-analytics/usage-purpose';
import { API_LIMITS, packBatches } from './batch-packing';
import type { EmbeddingModelEntity } from './embedding-model.entity';
import { EmbeddingProviders } from './providers/embedding-providers';
import { classifyProviderError, ProviderError } from './providers/provider-error';
import {
  ATTR,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_OPERATION_EMBEDDINGS,
} from '../tracing/semconv';
import { currentTraceId, inSpan, SpanKind } from '../tracing/spans';

export interface EmbedItem {
  text: string;
  /** cl100k_base tokens, counted before sending. */
  tokens: number;
  qaPairId?: string;
  category?: string;
  purpose: UsagePurpose;
}

export interface EmbedCallReport {
  calls: number;
  inputsPerCall: number[];
}

/**
 * Called with each provider call's vectors as soon as it answers: items[start, start +
 * vectors.length) of the `embed` call. Storing them here keeps what was paid for when a
 * later call of the same `embed` fails.
 */
export type GroupAnswered = (start: number, vectors: Float32Array[]) => Promise<void>;

/**
 * The one way to spend tokens: packs inputs under the API limits, calls the model's
 * provider through its guard (shared rate budget, circuit breaker), one call per group.
 * Every call is in the usage ledger before it is sent (unconfirmed spend), then confirmed
 * with the provider's usage, or marked not billed when the provider answered an error; a
 * call whose outcome is unknown (timeout, dropped connection, the process died) stays
 * unconfirmed. A call the guard does not admit throws ProviderUnavailableError.
 */
@Injectable()
export class EmbeddingClient {
  private readonly logger = new Logger(EmbeddingClient.name);

  constructor(
    private readonly providers: EmbeddingProviders,
    private readonly ledger: UsageLedgerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly guards: ProviderGuards,
  ) {}

  async embed(model: EmbeddingModelEntity, items: EmbedItem[], report?: EmbedCallReport, onGroupAnswered?: GroupAnswered): Promise<Float32Array[]> {
    const tooLong = items.find((item) => item.tokens > model.maxInputTokens);
    if (tooLong) {
      throw new ProviderError('permanent', `input has ${tooLong.tokens} tokens; ${model.name} takes at most ${model.maxInputTokens}`);
    }
    const provider = this.providers.for(model);
    const guard = this.guards.get(model.provider);
    const limits = {
      maxInputs: API_LIMITS.maxInputsPerRequest,
      maxTokens: Math.min(API_LIMITS.maxTokensPerRequest, this.config.queue.batchMaxTokens, guard?.maxRequestTokens ?? Infinity),
    };
    const vectors: Float32Array[] = [];
    for (const group of packBatches(items, limits)) {
      const callId = randomUUID();
      const ledgerItems: LedgerItem[] = group.map(({ qaPairId, category, purpose, tokens }) => ({ qaPairId, category, purpose, tokens }));
      // Durable before anything leaves: if this throws, nothing was sent. The row keeps the trace it was spent in.
      await this.ledger.recordPending({ callId, modelId: model.id, items: ledgerItems, traceId: currentTraceId() });

      let durationMs = 0;
      let sent = false;
      // Only the provider's own failures are classified; Redis trouble in the guard stays what it is.
      const send = async () => {
        sent = true;
        const startedAt = performance.now();
        try {
          return await provider.embed(
            group.map((item) => item.text),
            model,
          );
        } catch (error) {
          throw classifyProviderError(error);
        } finally {
          durationMs = performance.now() - startedAt;
        }
      };
      const tokens = group.reduce((sum, item) => sum + item.tokens, 0);
      let response: Awaited<ReturnType<typeof send>>;
      try {
        response = await this.traced(model, group, tokens, () => (guard ? guard.call(tokens, send) : send()));
      } catch (caught) {
        // The guard failed before sending (Redis down): nothing left, so nothing may stay as unconfirmed spend.
        const notBilled = sent
          ? notBilledReason(caught)
          : `not sent: ${caught instanceof ProviderUnavailableError ? caught.reason : 'the guard could not admit it'}`;
        if (notBilled !== null) await this.settle(callId, ledgerItems, { outcome: 'not_billed', durationMs, error: notBilled });
        throw caught;
      }

      if (report) {
        report.calls += 1;
        report.inputsPerCall.push(group.length);
      }
      // Keep the vectors (paid for) first, then confirm the spend. In this order a process that
      // dies in between leaves the call unconfirmed with its vectors stored: only a call whose
      // vectors were lost can be bought again, and it is still counted as unconfirmed spend.
      // (Side by side, a confirmed call could lose its vectors and be bought twice.)
      const storeFailure = await onGroupAnswered?.(vectors.length, response.vectors).then(
        () => undefined,
        (error: unknown) => ({ error }),
      );
      await this.settle(callId, ledgerItems, {
        outcome: 'confirmed',
        requestId: response.requestId,
        durationMs,
        reportedTokens: response.reportedTokens,
      });
      if (storeFailure) throw storeFailure.error;
      vectors.push(...response.vectors);
    }
    return vectors;
  }

  /**
   * The provider call's span (GenAI conventions: `embeddings <model>`), around the guard so a
   * call the breaker or the budget refused shows too; the guard adds the breaker's state.
   */
  private traced<R extends { reportedTokens?: number }>(
    model: EmbeddingModelEntity,
    group: EmbedItem[],
    tokens: number,
    call: () => Promise<R>,
  ): Promise<R> {
    const start = () => ({
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EMBEDDINGS,
        [ATTR_GEN_AI_PROVIDER_NAME]: model.provider,
        [ATTR_GEN_AI_SYSTEM]: model.provider,
        [ATTR_GEN_AI_REQUEST_MODEL]: model.apiModel,
        [ATTR.model]: model.name,
        [ATTR.pairs]: group.length,
        [ATTR.localTokens]: tokens,
      },
    });
    return inSpan(`${GEN_AI_OPERATION_EMBEDDINGS} ${model.apiModel}`, start, async (span) => {
      const response = await call();
      span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, response.reportedTokens ?? tokens);
      return response;
    });
  }

  /** Settles without throwing: an unsettled call stays in the ledger as unconfirmed spend, which is what it then is. */
  private async settle(callId: string, items: LedgerItem[], settlement: CallSettlement): Promise<void> {
    try {
      // A known outcome is worth waiting a PostgreSQL restart out for; past that the call stays unconfirmed.
      await retryWhileDependencyDown(() => this.ledger.settle(callId, items, settlement), PAID_WORK_HOLD_MS);
    } catch (error) {
      this.logger.warn(`provider call ${callId} stays unconfirmed in the usage ledger (${settlement.outcome} not written): ${String(error)}`);
    }
  }
}

/**
 * Why a failed call cost nothing, or null when it may have been billed. A call the guard
 * did not admit never left; an error the provider answered (4xx/5xx) is not billed. A
 * timeout, a dropped connection, an abort or a broken answer: the outcome is unknown.
 */
function notBilledReason(caught: unknown): string | null {
  const error = classifyProviderError(caught);
  if (error instanceof ProviderUnavailableError && error.cause === undefined) return `not sent: ${error.reason}`;
  const { status, code } = error.details;
  // Status and code only: a provider's message may quote part of the API key.
  if (typeof status === 'number') return `provider answered ${status}${code ? ` ${code}` : ''}`;
  return null;
}
