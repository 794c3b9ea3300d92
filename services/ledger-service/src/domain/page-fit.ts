/**
 * How many of `items` fit a reply of at most `budgetBytes`: the reply is
 * `overheadBytes` of envelope plus each item's JSON and a comma. A page is
 * bounded by size as well as by count, so no reply outgrows the bus's
 * max_payload however large the runs' contexts (issue #16). At least one item
 * when there is one — a single run view is far below any max_payload.
 */
export function fitByBytes(itemSizes: readonly number[], overheadBytes: number, budgetBytes: number): number {
  let used = overheadBytes;
  for (const [i, size] of itemSizes.entries()) {
    used += size + 1;
    if (used > budgetBytes) return Math.max(1, i);
  }
  return itemSizes.length;
}
