/** Mean and sample standard deviation (n - 1); the deviation is undefined for fewer than 2 values. */
export function meanStd(values: readonly number[]): { mean: number; std?: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), n };
}

/** "0.612 ± 0.013", or "0.612" for one value, or "-" for none. */
export function formatMeanStd(values: readonly number[], digits = 3): string {
  const { mean, std, n } = meanStd(values);
  if (n === 0) return '-';
  return std === undefined ? mean.toFixed(digits) : `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
}
