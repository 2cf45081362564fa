import type { AslRetrier } from "./compile-retry.ts";

/**
 * A retry policy in words, as the CLI and dashboard show it beside a task:
 * "3 attempts, 1 s apart", or "3 attempts, 1 s then x2 up to 60 s, full jitter (each wait from 0 up to that)".
 */
export function describeRetry(retrier: AslRetrier): string {
  const attempts = (retrier.MaxAttempts ?? 3) + 1;
  if (attempts === 1) return "1 attempt, no retries";
  const interval = retrier.IntervalSeconds ?? 1;
  const rate = retrier.BackoffRate ?? 2;
  let text = rate === 1 ? `${attempts} attempts, ${interval} s apart` : `${attempts} attempts, ${interval} s then x${rate}`;
  if (rate !== 1 && retrier.MaxDelaySeconds !== undefined) text += ` up to ${retrier.MaxDelaySeconds} s`;
  // Step Functions' FULL jitter: each wait is a uniform draw from 0 up to the computed delay.
  if (retrier.JitterStrategy === "FULL") text += ", full jitter (each wait from 0 up to that)";
  if (!(retrier.ErrorEquals.length === 1 && retrier.ErrorEquals[0] === "States.ALL")) text += ` (on ${retrier.ErrorEquals.join(", ")})`;
  return text;
}
