import Decimal from 'decimal.js';
import { GRAIN_MS } from '../rollups/rollup-tables';

const DAY_MS = GRAIN_MS.day;
/** The pace is the average daily cost over this many trailing days. */
export const PACE_WINDOW_DAYS = 7;

/** Usage recorded so far lies before the end of the current quarter hour (the finest rollup bucket). */
export function recordedUntil(asOf: Date): number {
  return Math.ceil(asOf.getTime() / GRAIN_MS.quarter) * GRAIN_MS.quarter;
}

/**
 * The window the pace is measured over: the trailing 7 days up to the current quarter hour
 * (so on the 1st of a month it is last month's last week, never a division by a zero
 * elapsed time), shortened to the history there is, and counted as at least one day so a
 * service a few minutes old does not extrapolate its first minutes.
 */
export function paceWindow(asOf: Date, firstUsageAt: Date | null): { from: number; to: number; days: Decimal } {
  const to = recordedUntil(asOf);
  const from = Math.max(to - PACE_WINDOW_DAYS * DAY_MS, Math.min(to, firstUsageAt?.getTime() ?? to));
  return { from, to, days: Decimal.max(1, new Decimal(to - from).div(DAY_MS)) };
}

export interface PeriodForecast {
  /** Cost so far plus pace × the days left (fractional, from the actual instants: DST months are 743 or 745 hours). */
  projectedUsd: Decimal;
  forecastRemainingUsd: Decimal;
  /** When cost so far plus pace reaches the limit, if that is before the period ends and it has not been reached yet. */
  crossesAt: Date | null;
  exceeded: boolean;
}

export function forecastPeriod(input: { spentUsd: Decimal; paceUsdPerDay: Decimal; asOf: Date; endsAt: Date; limitUsd?: Decimal }): PeriodForecast {
  const remainingDays = Decimal.max(0, new Decimal(input.endsAt.getTime() - input.asOf.getTime()).div(DAY_MS));
  const forecastRemainingUsd = input.paceUsdPerDay.mul(remainingDays);
  const exceeded = input.limitUsd !== undefined && input.spentUsd.gte(input.limitUsd);
  let crossesAt: Date | null = null;
  if (input.limitUsd !== undefined && !exceeded && input.paceUsdPerDay.gt(0)) {
    const daysToLimit = input.limitUsd.minus(input.spentUsd).div(input.paceUsdPerDay);
    const at = input.asOf.getTime() + daysToLimit.mul(DAY_MS).ceil().toNumber();
    crossesAt = at < input.endsAt.getTime() ? new Date(at) : null;
  }
  return { projectedUsd: input.spentUsd.plus(forecastRemainingUsd), forecastRemainingUsd, crossesAt, exceeded };
}
