/**
 * Stands in for `$$.State.RetryCount`, which aws-local-stepfunctions does not provide, per execution and per
 * (state, step key): a `Parallel` item runs the same state concurrently for different tasks, and each item has its
 * own count in AWS. The count advances on failure and is cleared when the state succeeds or its retriers give up
 * (the `Catch` leads elsewhere, so a later visit is a new one).
 */
export class RetryCounter {
  private readonly visits = new Map<string, { count: number; errors: string[] }>();

  private static id(state: string, key: string): string {
    return `${state}\u0000${key}`;
  }

  /** `$$.State.RetryCount` for an invocation of `state` for step `key` about to start. */
  retryCountFor(state: string, key = ""): number {
    return this.visits.get(RetryCounter.id(state, key))?.count ?? 0;
  }

  /** Error names of the failures of this visit so far (what the `Retry` field has seen). */
  errorsOf(state: string, key = ""): string[] {
    return this.visits.get(RetryCounter.id(state, key))?.errors ?? [];
  }

  failed(state: string, errorName: string, key = ""): void {
    const errors = [...this.errorsOf(state, key), errorName];
    this.visits.set(RetryCounter.id(state, key), { count: this.retryCountFor(state, key) + 1, errors });
  }

  /** The visit is over: the state succeeded, or its retriers gave up and its `Catch` (or the run's end) follows. */
  ended(state: string, key = ""): void {
    this.visits.delete(RetryCounter.id(state, key));
  }
}
