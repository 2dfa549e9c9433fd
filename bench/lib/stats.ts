// Small statistics over samples. Benchmarks on a noisy 2-core box report min (what the code can
// do) and median (what a user typically sees); p99 only where there are enough samples.

export interface Summary {
  runs: number;
  min: number;
  median: number;
  max: number;
  samples: number[];
}

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    runs: samples.length,
    min: sorted[0] ?? NaN,
    median: quantile(sorted, 0.5),
    max: sorted[sorted.length - 1] ?? NaN,
    samples: samples.map(round3),
  };
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** "1.23 s", "45.6 ms", "0.27 ms" */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (abs >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes.toFixed(0)} B`;
}

export function fmtRatio(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 10 ? `${x.toFixed(0)}x` : `${x.toFixed(2)}x`;
}
