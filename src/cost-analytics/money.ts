import Decimal from 'decimal.js';

/**
 * Money leaves the service as exact decimal strings (never floats): trailing zeros beyond
 * the cents are dropped, so 0.000000020000 USD reads "0.00000002" and 12.5 reads "12.50".
 */
export function formatUsd(value: string | Decimal | null | undefined): string {
  const decimal = value === null || value === undefined ? new Decimal(0) : new Decimal(value);
  const fixed = decimal.toFixed();
  const [whole, fraction = ''] = fixed.split('.');
  const trimmed = fraction.replace(/0+$/, '');
  return `${whole}.${trimmed.padEnd(2, '0')}`;
}

/** Estimates (projections, paces) are rounded to a millionth of a dollar. */
export function formatEstimateUsd(value: Decimal): string {
  return formatUsd(value.toDecimalPlaces(6, Decimal.ROUND_HALF_UP));
}
