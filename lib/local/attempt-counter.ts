/**
 * `ctx.attempt.number` in `stepjobs dev`: the runner's `countAttempt` port, counted per task key from the attempts
 * the run store already holds for the run, so a resumed or redriven run numbers its attempts after them. One process
 * executes a run, and every attempt is recorded RUNNING before its task function runs, so counting from the
 * records is exact without a write of its own (the cloud runner counts in DynamoDB: DynamoRunStore.countAttempt,
 * where Lambda invocations share nothing).
 */
export class AttemptCounter {
  private readonly counts: Map<string, number>;

  /** `before`: the highest attempt number recorded per task key (none: a new run). */
  constructor(before: ReadonlyMap<string, number> = new Map()) {
    this.counts = new Map(before);
  }

  /** The number of the attempt of `key` about to start: 1 on the first. */
  next(key: string): number {
    const number = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, number);
    return number;
  }
}
