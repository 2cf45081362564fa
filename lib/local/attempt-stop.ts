import type { RetryDecision } from "../compiler/asl-retry.ts";
import { type AslRetrier, NON_RETRIABLE_RETRIER } from "../compiler/compile-retry.ts";

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
  const retrier = decision.retrierIndex === undefined ? undefined : retriers[decision.retrierIndex];
  if (decision.stop === "unmatched" || !retrier) return runnerRetries ? "runner-decides" : "not-in-retryOn";
  if (retrier.ErrorEquals.every((e) => NON_RETRIABLE_RETRIER.ErrorEquals.includes(e))) return "non-retriable";
  return retrier.MaxAttempts === 0 ? "single-attempt" : "exhausted";
}
