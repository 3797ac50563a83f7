/**
 * SQL for the price per 1M tokens of model `m` (an embedding_models row in scope) effective
 * at the instant `at`: the latest model_prices change at or before it, else the price the
 * model was registered with. The ledger write, the price list and estimates all use it.
 */
export function priceAtSql(at: string): string {
  return `COALESCE(
    (SELECT p.price_per_million_tokens FROM model_prices p
     WHERE p.model_id = m.id AND p.effective_from <= ${at} ORDER BY p.effective_from DESC LIMIT 1),
    m.price_per_million_tokens)`;
}
