import type { AslRetrier } from "./compile-retry.ts";

/**
 * The ASL `Retry` field as pure functions: the one place its evaluation and its defaults are written. The compiler
 * renders retriers (compile-retry.ts); the runner decides a dynamic task's retries with them (`retry` mode); the dev
 * runtime reads from them what aws-local-stepfunctions does not tell it (whether a failure is retried, after how
 * long, how much of the policy an interrupted run used); the tests and the stack simulator keep `$$.State.RetryCount`
 * with them. Semantics as in the spec (https://states-language.net/spec.html#retrying-after-error) and as
 * aws-local-stepfunctions implements them (`StateExecutor.shouldRetry`): the first retrier whose `ErrorEquals`
 * matches decides; each retrier counts its own retries; an exhausted match stops retrying, it does not fall through.
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

/** Whether `retrier` applies to an error named `errorName`. */
export function matches(retrier: AslRetrier, errorName: string): boolean {
  // Runner task states are Task states and our errors are never States.Timeout, so States.TaskFailed matches all.
  return retrier.ErrorEquals.some((e) => e === errorName || e === "States.ALL" || e === "States.TaskFailed");
}

/**
 * The wait before a retrier's next retry after `used` earlier ones, before jitter:
 * `IntervalSeconds * BackoffRate^used`, capped by `MaxDelaySeconds`.
 */
export function retryInterval(retrier: AslRetrier, used: number): number {
  const interval =
    (retrier.IntervalSeconds ?? RETRIER_DEFAULTS.IntervalSeconds) * (retrier.BackoffRate ?? RETRIER_DEFAULTS.BackoffRate) ** used;
  return retrier.MaxDelaySeconds !== undefined ? Math.min(interval, retrier.MaxDelaySeconds) : interval;
}

/** A wait as Step Functions draws it: the decided seconds, times a uniform fraction under FULL jitter. */
export function drawnWait(decision: Pick<RetryDecision, "waitSeconds" | "jitter">, random: () => number = Math.random): number {
  return decision.jitter ? decision.waitSeconds * random() : decision.waitSeconds;
}

/**
 * What the `Retry` field does with one more failure named `errorName`, given the retries each retrier has used
 * in this state visit so far.
 */
export function nextRetry(retriers: readonly AslRetrier[], used: readonly number[], errorName: string): RetryDecision {
  const counted = retriers.map((_, i) => used[i] ?? 0);
  const index = retriers.findIndex((r) => matches(r, errorName));
  const retrier = retriers[index];
  if (!retrier) return { retry: false, waitSeconds: 0, jitter: false, used: counted, stop: "unmatched" };
  const maxAttempts = retrier.MaxAttempts ?? RETRIER_DEFAULTS.MaxAttempts;
  const usedHere = counted[index] ?? 0;
  if (usedHere >= maxAttempts) {
    return {
      retry: false,
      retrierIndex: index,
      waitSeconds: 0,
      jitter: false,
      used: counted,
      stop: maxAttempts === 0 ? "none-allowed" : "exhausted",
    };
  }
  const waitSeconds = retryInterval(retrier, usedHere);
  counted[index] = usedHere + 1;
  return { retry: true, retrierIndex: index, waitSeconds, jitter: retrier.JitterStrategy === "FULL", used: counted };
}

/**
 * Replays the `Retry` field over the error names of consecutive failures of one state visit (oldest first) and
 * returns what happens after the last one.
 */
export function decideRetry(retriers: readonly AslRetrier[], errorNames: readonly string[]): RetryDecision {
  let decision: RetryDecision = { retry: false, waitSeconds: 0, jitter: false, used: retriers.map(() => 0) };
  for (const name of errorNames) decision = nextRetry(retriers, decision.used, name);
  return decision;
}

/**
 * The wait before retry number `retry` (1-based) of `retrier`, in whole seconds as a `Wait` state's `SecondsPath`
 * takes them, jitter drawn: what Step Functions would wait. Used for tasks whose retries the runner drives
 * (`DynamicTask`).
 */
export function retryDelaySeconds(retrier: AslRetrier, retry: number, random: () => number = Math.random): number {
  return Math.ceil(drawnWait({ waitSeconds: retryInterval(retrier, retry - 1), jitter: retrier.JitterStrategy === "FULL" }, random));
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
