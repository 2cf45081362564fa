/**
 * Work the simulated services do on their own after answering a call (EventBridge deliveries, async Lambda
 * invocations, SQS pollers, executions). Tests wait for it to settle instead of sleeping.
 */
export class Background {
  private readonly pending = new Set<Promise<unknown>>();
  /** Failures of background work that nothing else reports (a bug in the simulator, not an AWS error). */
  readonly failures: unknown[] = [];

  /** Runs `work` in the background; a rejection is recorded, never unhandled. */
  run(work: () => Promise<unknown>): void {
    const p = Promise.resolve()
      .then(work)
      .catch((error: unknown) => this.failures.push(error))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves once no background work is pending (work started meanwhile is waited for too). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }
}
