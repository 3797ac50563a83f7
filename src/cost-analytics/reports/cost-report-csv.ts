import { formatUsd } from '../money';
import type { CostReportCells } from './cost-report.service';

const HEADER = ['date', 'iso_week', 'model', 'category', 'purpose', 'items', 'tokens', 'local_tokens', 'token_difference', 'cost_usd'];

/**
 * RFC 4180 field; a text that a spreadsheet would run as a formula (= + - @ at the start)
 * is prefixed with an apostrophe, since categories are user-supplied.
 */
function field(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line per local day, model, category and purpose with usage; money as exact decimals. */
export function costReportCsv({ days, cells }: CostReportCells): string {
  const lines = [HEADER.join(',')];
  for (const cell of cells) {
    const day = days[cell.dayIndex];
    lines.push(
      [
        day.date,
        day.isoWeek,
        cell.model,
        cell.category ?? '',
        cell.purpose,
        cell.items,
        cell.tokens,
        cell.localTokens,
        cell.tokens - cell.localTokens,
        formatUsd(cell.costUsd),
      ]
        .map(field)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
