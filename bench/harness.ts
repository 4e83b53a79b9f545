/**
 * Bench harness: each `bench/<name>.bench.ts` default-exports `defineBench(...)`. A figure is a
 * measured value next to a baseline measured IN THE SAME RUN (never a stored number), so the
 * ratio survives noisy machines. `ratio` is oriented so higher is better; the target is met when
 * `ratio >= target`.
 */
export interface Figure {
  /** Short metric name, e.g. `upsert_new`. */
  metric: string;
  value: number;
  baseline: number;
  /** Unit of value and baseline, e.g. `rows/s`, `ms`. */
  unit: string;
  /** true for throughput (value/baseline), false for latency/time (baseline/value). */
  higherIsBetter: boolean;
  /** Minimum acceptable ratio. */
  target: number;
  /** What the baseline is, shown in the table. */
  baselineLabel?: string;
  /**
   * An absolute ceiling on `value` where the design states one (e.g. trigger → start p50 ≤ 50 ms);
   * the figure then meets its target only if the ratio AND the ceiling hold.
   */
  maxValue?: number;
}

export interface Bench {
  name: string;
  description: string;
  run(report: (figure: Figure) => void): Promise<void>;
}

export function defineBench(bench: Bench): Bench {
  return bench;
}

export function ratioOf(figure: Figure): number {
  if (figure.higherIsBetter) return figure.baseline === 0 ? 0 : figure.value / figure.baseline;
  return figure.value === 0 ? Number.POSITIVE_INFINITY : figure.baseline / figure.value;
}

export function targetMet(figure: Figure): boolean {
  return ratioOf(figure) >= figure.target && (figure.maxValue === undefined || figure.value <= figure.maxValue);
}

/** The machine-readable line CI and people grep for. */
export function resultLine(bench: string, figure: Figure): string {
  const round = (n: number) => Number(n.toPrecision(4));
  return `RESULT name=${bench}.${figure.metric} value=${round(figure.value)} baseline=${round(figure.baseline)} ratio=${round(ratioOf(figure))} target=${figure.target}${figure.maxValue === undefined ? '' : ` max_value=${figure.maxValue}`}`;
}

/** Median of a list of samples (benches report medians, not means, on noisy 2-core machines). */
export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
