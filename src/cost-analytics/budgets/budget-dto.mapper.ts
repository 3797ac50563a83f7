import type { BudgetDto } from '../dto/budget.dto';
import type { Budget } from './budget';

export function toBudgetDto(budget: Budget): BudgetDto {
  return {
    id: budget.id,
    name: budget.name,
    period: budget.period,
    limitUsd: budget.limitUsd,
    thresholdsPercent: budget.thresholdsPercent,
    category: budget.category,
    model: budget.model,
    timeZone: budget.timeZone,
    hardCap: budget.hardCap,
    enabled: budget.enabled,
    createdAt: budget.createdAt,
    updatedAt: budget.updatedAt,
  };
}
