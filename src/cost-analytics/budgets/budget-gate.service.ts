import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CostClock } from '../cost-clock';
import type { UsagePurpose } from '../usage-purpose';
import { BudgetStatusService } from './budget-status.service';
import { BudgetsService } from './budgets.service';

export interface PostponeDecision {
  postpone: boolean;
  /** When the exceeded capped budgets' periods end (the latest of them): ask again then. */
  until?: Date;
  /** Which budgets, for logs and job status. */
  reason?: string;
}

export interface PostponeOptions {
  /** The work's category, so category-scoped caps can apply; without it they do not. */
  category?: string;
  /** Overrides the purpose's default (migration and drift are deferrable; ingest, update and search are not). */
  deferrable?: boolean;
}

/** Work that can wait for the next budget period without anyone waiting on it. */
export const DEFERRABLE_PURPOSES: ReadonlySet<UsagePurpose> = new Set<UsagePurpose>(['migration', 'drift']);

interface ExceededCap {
  name: string;
  modelId: number | null;
  category: string | null;
  until: Date;
}

/**
 * The optional hard cap: while an enabled budget with `hardCap` is at or over its limit in
 * its current period, deferrable work in its scope is postponed until the period ends.
 * Urgent work (a user's edit, a search) is never held back. The view of exceeded caps is
 * cached per process for COST_BUDGET_GATE_CACHE_MS, so asking per job is cheap.
 */
@Injectable()
export class BudgetGate {
  private cached?: { at: number; caps: ExceededCap[] };
  private refreshing?: Promise<ExceededCap[]>;

  constructor(
    private readonly budgets: BudgetsService,
    private readonly status: BudgetStatusService,
    private readonly clock: CostClock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async shouldPostpone(purpose: UsagePurpose, modelId: number, options: PostponeOptions = {}): Promise<PostponeDecision> {
    if (!(options.deferrable ?? DEFERRABLE_PURPOSES.has(purpose))) return { postpone: false };
    const now = this.clock.now();
    const applying = (await this.exceededCaps(now)).filter(
      (cap) => cap.until > now && (cap.modelId === null || cap.modelId === modelId) && (cap.category === null || cap.category === options.category),
    );
    if (applying.length === 0) return { postpone: false };
    const until = new Date(Math.max(...applying.map((cap) => cap.until.getTime())));
    return { postpone: true, until, reason: `hard-capped budget exceeded: ${applying.map((cap) => cap.name).join(', ')}` };
  }

  private async exceededCaps(now: Date): Promise<ExceededCap[]> {
    if (this.cached && now.getTime() - this.cached.at < this.config.costAnalytics.budgetGateCacheMs) return this.cached.caps;
    this.refreshing ??= this.readExceededCaps(now).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readExceededCaps(now: Date): Promise<ExceededCap[]> {
    const statuses = await this.status.statuses(await this.budgets.list({ enabledOnly: true, hardCapOnly: true }), now);
    const caps = statuses
      .filter((status) => status.exceeded)
      .map((status) => ({
        name: status.budget.name,
        modelId: status.budget.modelId,
        category: status.budget.category,
        until: status.period.endsAt,
      }));
    this.cached = { at: now.getTime(), caps };
    return caps;
  }
}
