import type { AslRetrier } from "../compiler/compile-retry.ts";
import { NON_RETRIABLE_RETRIER } from "../compiler/render-state-machine.ts";

/**
 * The ASL `Retry` field as a pure function, for the two things the dev runtime must know that
 * aws-local-stepfunctions does not tell it: whether a failure will be retried (and after how long) at the
 * moment it happens, and how much of the policy a run interrupted by a restart has already used.
 * Semantics as in the spec (https://states-language.net/spec.html#retrying-after-error) and as the library
 * implements them (`StateExecutor.shouldRetry`): the first retrier whose `ErrorEquals` matches decides; each
 * retrier counts its own retries; an exhausted match stops retrying, it does not fall through.
 */

/** ASL defaults for a retrier's unset fields (spec: MaxAttempts 3, IntervalSeconds 1, BackoffRate 2). */
export const RETRIER_DEFAULTS = { MaxAttempts: 3, IntervalSeconds: 1, BackoffRate: 2 } as const;

/** What the `Retry` field does after the last of a sequence of failures of one state visit. */
export interface RetryDecision {
  /** True when the state will be attempted again. */
  readonly retry: boolean;
  /** Index of the retrier that matched the last failure, if any did. */
  readonly retrierIndex?: number;
  /** Wait before the next attempt in seconds, before jitter (0 when not retrying). */
  readonly waitSeconds: number;
  /** The wait is drawn uniformly from [0, waitSeconds] (`JitterStrategy: "FULL"`). */
  readonly jitter: boolean;
  /** Retries counted per retrier after these failures (the retry decided here included). */
  readonly used: readonly number[];
  /**
   * Why there is no retry: the matching retrier had retries and used them (`exhausted`), allows none
   * (`MaxAttempts: 0`, `none-allowed`), or no retrier matches the error's name (`unmatched`).
   */
  readonly stop?: "exhausted" | "none-allowed" | "unmatched";
}

function matches(retrier: AslRetrier, errorName: string): boolean {
  // Runner task states are Task states and our errors are never States.Timeout, so States.TaskFailed matches all.
  return retrier.ErrorEquals.some((e) => e === errorName || e === "States.ALL" || e === "States.TaskFailed");
}

/**
 * Replays the `Retry` field over the error names of consecutive failures of one state (oldest first) and
 * returns what happens after the last one.
 */
export function decideRetry(retriers: readonly AslRetrier[], errorNames: readonly string[]): RetryDecision {
  const used = retriers.map(() => 0);
  let decision: RetryDecision = { retry: false, waitSeconds: 0, jitter: false, used };
  for (const name of errorNames) {
    const index = retriers.findIndex((r) => matches(r, name));
    if (index < 0) {
      decision = { retry: false, waitSeconds: 0, jitter: false, used: [...used], stop: "unmatched" };
      continue;
    }
    const retrier = retriers[index];
    const maxAttempts = retrier.MaxAttempts ?? RETRIER_DEFAULTS.MaxAttempts;
    if (used[index] >= maxAttempts) {
      const stop = maxAttempts === 0 ? "none-allowed" : "exhausted";
      decision = { retry: false, retrierIndex: index, waitSeconds: 0, jitter: false, used: [...used], stop };
      continue;
    }
    const interval =
      (retrier.IntervalSeconds ?? RETRIER_DEFAULTS.IntervalSeconds) * (retrier.BackoffRate ?? RETRIER_DEFAULTS.BackoffRate) ** used[index];
    const waitSeconds = retrier.MaxDelaySeconds !== undefined ? Math.min(interval, retrier.MaxDelaySeconds) : interval;
    used[index]++;
    decision = { retry: true, retrierIndex: index, waitSeconds, jitter: retrier.JitterStrategy === "FULL", used: [...used] };
  }
  return decision;
}

/**
 * Why a failed attempt is not followed by another from its state's `Retry`, in the user's terms: the policy's
 * retries are used up, the error is never retried (`NonRetriableError`, `TaskOutputTooLargeError`), the task allows
 * one attempt (`maxAttempts: 1`), its `retryOn` does not list the error, or the task's id is dynamic and the runner's
 * `DynamicRetry` applies its policy next.
 */
export type AttemptStop = "exhausted" | "non-retriable" | "single-attempt" | "not-in-retryOn" | "runner-decides";

/**
 * The {@link AttemptStop} of a decision that does not retry, read from the state's compiled `retriers` (what
 * `decision.retrierIndex` points into). `runnerRetries`: the state's `Catch` leads to the runner's `retry` mode.
 */
export function attemptStop(retriers: readonly AslRetrier[], decision: RetryDecision, runnerRetries: boolean): AttemptStop {
  if (decision.stop === "unmatched" || decision.retrierIndex === undefined) return runnerRetries ? "runner-decides" : "not-in-retryOn";
  const retrier = retriers[decision.retrierIndex];
  if (retrier.ErrorEquals.every((e) => NON_RETRIABLE_RETRIER.ErrorEquals.includes(e))) return "non-retriable";
  return retrier.MaxAttempts === 0 ? "single-attempt" : "exhausted";
}

/**
 * The retriers as they stand after `used` retries: fewer attempts left, and the interval advanced by the
 * backoff already applied, so a state re-entered after a restart continues the same policy instead of
 * starting it over (see docs/decisions.md, "resume after restart").
 */
export function remainingRetriers(retriers: readonly AslRetrier[], used: readonly number[]): AslRetrier[] {
  return retriers.map((r, i) => {
    const n = used[i] ?? 0;
    if (n === 0) return r;
    const rate = r.BackoffRate ?? RETRIER_DEFAULTS.BackoffRate;
    return {
      ...r,
      MaxAttempts: Math.max(0, (r.MaxAttempts ?? RETRIER_DEFAULTS.MaxAttempts) - n),
      IntervalSeconds: (r.IntervalSeconds ?? RETRIER_DEFAULTS.IntervalSeconds) * rate ** n,
    };
  });
}
