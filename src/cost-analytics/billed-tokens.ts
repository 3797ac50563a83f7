/**
 * Shares the tokens the provider reports (what it bills) out over a call's items in
 * proportion to the tokens counted locally, as whole numbers that add up exactly to the
 * reported total (largest remainder; ties go to the earlier item). Without a usable
 * report the local counts are what is billed.
 */
export function allocateBilledTokens(localTokens: readonly number[], reportedTokens: number | undefined): number[] {
  const localTotal = localTokens.reduce((sum, tokens) => sum + tokens, 0);
  if (reportedTokens === undefined || !Number.isSafeInteger(reportedTokens) || reportedTokens < 0 || reportedTokens === localTotal) {
    return [...localTokens];
  }
  if (localTokens.length === 0) return [];
  // Nothing counted locally: an even split is the only fair share.
  const weights = localTotal === 0 ? localTokens.map(() => 1) : localTokens;
  const weightTotal = localTotal === 0 ? localTokens.length : localTotal;
  const shares = weights.map((weight) => Math.floor((weight * reportedTokens) / weightTotal));
  let left = reportedTokens - shares.reduce((sum, share) => sum + share, 0);
  const byRemainder = weights
    .map((weight, index) => ({ index, remainder: (weight * reportedTokens) % weightTotal }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (left === 0) break;
    shares[index] += 1;
    left -= 1;
  }
  return shares;
}
