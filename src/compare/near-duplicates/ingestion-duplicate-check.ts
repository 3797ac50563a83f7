import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { type EmbeddingsWritten, EmbeddingEvents } from '../../embeddings/embedding-events';
import { EmbeddingModelsService } from '../../embeddings/embedding-models.service';
import { RecordedDuplicates } from './recorded-duplicates';

/** Writes arriving within this long are checked together. */
const GATHER_MS = 50;
/** Pairs per k-NN statement: one HNSW probe each (~3 ms), so a statement stays a few seconds. */
const PAIRS_PER_CHECK = 500;
/** A pair deleted while its duplicate was being recorded (foreign key), or two workers recording the same pairs (deadlock). */
const RACE_CODES = new Set(['23503', '40P01']);

/**
 * The near-duplicate check at ingestion: after embeddings of the active model are written,
 * looks up each new vector's nearest neighbours and records those at or above the
 * threshold, so a duplicate shows at once, not at the next scan. Writes are gathered and
 * checked in batches, one k-NN statement per 500 pairs, one batch at a time, off the write path:
 * a failed check is logged, never raised (the next scan still finds what it missed).
 */
@Injectable()
export class IngestionDuplicateCheck implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(IngestionDuplicateCheck.name);
  private readonly pending = new Map<number, Set<string>>();
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly events: EmbeddingEvents,
    private readonly models: EmbeddingModelsService,
    private readonly recorded: RecordedDuplicates,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.compare.ingestCheck.enabled) this.events.on('written', this.onWritten);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.events.off('written', this.onWritten);
    clearTimeout(this.timer);
    await this.checking;
  }

  private readonly onWritten = (event: EmbeddingsWritten): void => {
    let ids = this.pending.get(event.modelId);
    if (!ids) this.pending.set(event.modelId, (ids = new Set()));
    for (const id of event.qaPairIds) ids.add(id);
    this.schedule();
  };

  private schedule(): void {
    if (this.stopped || this.timer || this.checking) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.checking = this.checkPending().finally(() => {
        this.checking = undefined;
        if (this.pending.size > 0) this.schedule();
      });
    }, GATHER_MS);
  }

  private async checkPending(): Promise<void> {
    const { threshold, neighbours } = this.config.compare.ingestCheck;
    while (this.pending.size > 0 && !this.stopped) {
      const [modelId, ids] = this.pending.entries().next().value as [number, Set<string>];
      const batch: string[] = [];
      for (const id of ids) if (batch.push(id) === PAIRS_PER_CHECK) break;
      for (const id of batch) ids.delete(id);
      if (ids.size === 0) this.pending.delete(modelId);
      try {
        // Only the model that serves search: a migration's target is checked after its cutover, by a scan.
        const active = await this.models.getActive();
        if (active.id !== modelId) continue;
        const check = () => this.recorded.checkAndRecord(active, batch, threshold, neighbours);
        const recorded = await check().catch((error: unknown) => (isRaceWithAnotherWriter(error) ? check() : Promise.reject(error)));
        if (recorded > 0) this.logger.log({ model: active.name, checked: batch.length, recorded }, 'near-duplicates found at ingestion');
      } catch (error) {
        this.logger.warn({ err: error, pairs: batch.length }, 'near-duplicate check at ingestion failed; the next scan will find them');
      }
    }
  }
}

/** Worth one more try: the second attempt sees the other writer's committed work. */
function isRaceWithAnotherWriter(error: unknown): boolean {
  const code = (error as { driverError?: { code?: string } }).driverError?.code;
  return code !== undefined && RACE_CODES.has(code);
}
