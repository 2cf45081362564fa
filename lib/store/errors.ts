import { StepJobsError } from "../sdk/errors.ts";

/** An update named a run that was never stored. */
export class RunNotFoundError extends StepJobsError {
  readonly runId: string;
  constructor(runId: string) {
    super("RUN_NOT_FOUND", `run "${runId}" does not exist`);
    this.name = "RunNotFoundError";
    this.runId = runId;
  }
}

/** An update named a task attempt that was never stored. */
export class AttemptNotFoundError extends StepJobsError {
  readonly runId: string;
  readonly taskKey: string;
  readonly number: number;
  constructor(runId: string, taskKey: string, number: number) {
    super("ATTEMPT_NOT_FOUND", `attempt ${number} of task "${taskKey}" in run "${runId}" does not exist`);
    this.name = "AttemptNotFoundError";
    this.runId = runId;
    this.taskKey = taskKey;
    this.number = number;
  }
}

/** A list `cursor` that is not the `nextCursor` a list of this kind answered (tampered, truncated, or another list's). */
export class InvalidCursorError extends StepJobsError {
  constructor(list: string) {
    super("INVALID_CURSOR", `cursor is not one this server gave for ${list}: pass the nextCursor of the previous page as it was`);
    this.name = "InvalidCursorError";
  }
}
