/** Small statistics for run summaries. */

export interface Percentiles { p50: number, p99: number, max: number, count: number }

/** Nearest-rank percentiles; NaN-free: an empty sample gives zeros with count 0. */
export function percentiles (values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0, count: 0 }
  const sorted = values.slice().sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]), count: sorted.length }
}

export function round (x: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
