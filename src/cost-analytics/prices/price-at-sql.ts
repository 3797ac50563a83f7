/**
 * SQL for the price per 1M tokens of model `m` (an embedding_models row in scope) on `lane`
 * (a SQL expression: 'live' or 'batch') effective at the instant `at`: the latest model_prices
 * change of that lane at or before it, else the price the model was registered with for it
 * (for the batch lane, its registered batch price, or half its live price). The ledger
 * write, the price list and estimates all use it.
 */
export function priceAtSql(at: string, lane = `'live'`): string {
  return `COALESCE(
    (SELECT p.price_per_million_tokens FROM model_prices p
     WHERE p.model_id = m.id AND p.lane = ${lane} AND p.effective_from <= ${at} ORDER BY p.effective_from DESC LIMIT 1),
    CASE WHEN ${lane} = 'batch' THEN COALESCE(m.batch_price_per_million_tokens, m.price_per_million_tokens / 2) ELSE m.price_per_million_tokens END)`;
}
