import { StepJobsError } from "../sdk/errors.ts";

/** A mistake in how a command was called: printed with the command's usage, exit code 2. */
export class UsageError extends StepJobsError {
  constructor(message: string) {
    super("USAGE", message);
    this.name = "UsageError";
  }
}
