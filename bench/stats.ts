/**
 * Timing helpers for benchmarks on a shared, noisy machine: every figure is the median of several
 * repetitions and is reported as a ratio against a baseline measured in the same run.
 */

/** Median of a sample. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

/** Runs `fn` `warmup` times, then `reps` times, and returns the median milliseconds per call. */
export async function timeMedian(fn: () => unknown, reps: number, warmup = Math.max(3, reps >> 2)): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/** `--quick` (CI-sized) or full mode, from argv. */
export function benchMode(argv: readonly string[] = process.argv): "quick" | "full" {
  return argv.includes("--full") ? "full" : "quick";
}

/** Prints rows as an aligned table. */
export function printTable(title: string, rows: readonly Record<string, string | number>[]): void {
  const [first] = rows;
  if (!first) return;
  const headers = Object.keys(first);
  const cell = (v: string | number | undefined) => (typeof v === "number" ? formatNumber(v) : (v ?? ""));
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => String(cell(r[h])).length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i] ?? 0)).join("  ");
  process.stdout.write(`\n${title}\n${line(headers)}\n${line(widths.map((w) => "-".repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(line(headers.map((h) => String(cell(row[h])))) + "\n");
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
