import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ProviderGates } from '../circuit-breaker/provider-gates';
import type { BullJobCounts } from '../common/jobs/bull-options';
import { EMBEDDINGS_QUEUE } from './embedding-job';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'paused'] as const;

/** Queue metrics on /metrics: job counts by state (read at scrape), outcomes, inputs per provider call. */
@Injectable()
export class QueueMetrics {
  readonly jobOutcomes: Counter<'outcome'>;
  readonly jobsDeferred: Counter<'reason'>;
  readonly inputsPerCall: Histogram;
  readonly batchSeconds: Histogram;

  constructor(registry: Registry, @InjectQueue(EMBEDDINGS_QUEUE) queue: Queue, gates: ProviderGates) {
    new Gauge({
      name: 'embsvc_queue_jobs',
      help: 'Embedding jobs by state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts: BullJobCounts | undefined = await queue.getJobCounts().catch(() => undefined);
        if (!counts) return;
        for (const state of STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
    this.jobOutcomes = new Counter({
      name: 'embsvc_embedding_jobs_total',
      help: 'Embedding jobs finished, by outcome (embedded, unchanged, superseded, deleted, retry, dead_lettered, postponed)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.jobsDeferred = new Counter({
      name: 'embsvc_embedding_jobs_deferred_total',
      help: 'Times a job was held back without spending an attempt: unavailable provider (breaker open, rate budget used up), PostgreSQL or Redis down (dependency_down), or a hard-capped budget (budget_cap)',
      labelNames: ['reason'],
      registers: [registry],
    });
    new Gauge({
      name: 'embsvc_embedding_jobs_held',
      help: 'Jobs this process holds back while their provider is unavailable',
      registers: [registry],
      collect() {
        this.set(gates.held());
      },
    });
    this.inputsPerCall = new Histogram({
      name: 'embsvc_provider_inputs_per_call',
      help: 'Inputs sent in one provider request by the worker',
      buckets: [1, 4, 16, 32, 64, 128, 256, 512, 1024, 2048],
      registers: [registry],
    });
    this.batchSeconds = new Histogram({
      name: 'embsvc_embedding_batch_seconds',
      help: 'Time to embed and store one batch',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  }
}
