/** Benchmarks print one JSON object per line: {"metric", "value", "unit", ...context}. */
export function report(
  metric: string,
  value: number,
  unit: string,
  context: Record<string, unknown> = {},
): void {
  console.log(JSON.stringify({ metric, value: Number(value.toFixed(3)), unit, ...context }));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}
