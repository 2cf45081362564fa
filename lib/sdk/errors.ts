import type { SendEventResult } from "./send-event.ts";
import type { JsonValue } from "./types.ts";

/**
 * The stepjobs error hierarchy. Each class sets `name` explicitly because Step Functions matches
 * `Retry`/`Catch` rules on the error name the Lambda reports (`errorType`), and bundlers may rename
 * classes. See https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */

/** Base of every error stepjobs itself raises; `code` is stable and machine-readable. */
export class StepJobsError extends Error {
  /** Stable identifier, e.g. `JOB_DEFINITION`, used by the API and CLI error bodies. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StepJobsError";
    this.code = code;
  }
}

/**
 * Throw from a task to fail it without retrying. The compiled state machine places a retrier
 * `{ ErrorEquals: ["NonRetriableError"], MaxAttempts: 0 }` before the task's own policy.
 */
export class NonRetriableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NonRetriableError";
  }
}

/** A place in a job's source, printed as `file:line:col`. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Formats a location the way editors and terminals link it: `file:line:col`. */
export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/**
 * A job's source cannot be compiled (non-literal options, duplicate ids, missing trigger, ...).
 * Its message starts with `file:line:col` so one line says what is wrong and where.
 */
export class JobDefinitionError extends StepJobsError {
  readonly location: SourceLocation;
  readonly detail: string;
  constructor(location: SourceLocation, detail: string) {
    super("JOB_DEFINITION", `${formatLocation(location)}: ${detail}`);
    this.name = "JobDefinitionError";
    this.location = location;
    this.detail = detail;
  }
}

/** Retry options out of ASL range; `field` names the offending option (`retry.limit`, `maxAttempts`, ...). */
export class RetryOptionsError extends StepJobsError {
  readonly field: string;
  constructor(field: string, message: string) {
    super("RETRY_OPTIONS", `${field} ${message}`);
    this.name = "RetryOptionsError";
    this.field = field;
  }
}

/**
 * Replay reached a different task than the run recorded at the same position: the job's control flow
 * depends on something other than its payload and task results (e.g. `Math.random()`, the clock).
 */
export class NonDeterminismError extends StepJobsError {
  readonly expectedKey: string;
  readonly actualKey: string;
  readonly location: string | undefined;
  constructor(expectedKey: string, actualKey: string, location: string | undefined) {
    super(
      "NON_DETERMINISM",
      `replay expected task "${expectedKey}" but the job called "${actualKey}"` +
        (location ? ` at ${location}` : "") +
        "; task order must depend only on the payload and earlier task results",
    );
    this.name = "NonDeterminismError";
    this.expectedKey = expectedKey;
    this.actualKey = actualKey;
    this.location = location;
  }
}

/**
 * A task result is too large to carry. Step Functions limits state payloads to 256 KiB
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); DynamoDB items to 400 KB.
 */
export class TaskOutputTooLargeError extends NonRetriableError {
  readonly taskKey: string;
  readonly size: number;
  readonly limit: number;
  /** Bytes of the run state the result would have made (when the limit is the state's, not the result's). */
  readonly stateSize?: number;
  constructor(taskKey: string, size: number, limit: number, stateSize?: number) {
    super(
      stateSize === undefined
        ? `task "${taskKey}" returned ${size} bytes of JSON; the limit is ${limit} bytes`
        : `task "${taskKey}" returned ${size} bytes of JSON, making the run state ${stateSize} bytes; the limit is ${limit} bytes (Step Functions' 256 KiB state quota): return a reference to the data (an S3 key, a row id) instead`,
    );
    this.name = "TaskOutputTooLargeError";
    this.taskKey = taskKey;
    this.size = size;
    this.limit = limit;
    this.stateSize = stateSize;
  }
}

/** One schema violation, located by JSON pointer (RFC 6901) into the event payload. */
export interface ValidationIssue {
  readonly jobId: string;
  /** JSON pointer into the payload, `""` for the payload itself. */
  readonly path: string;
  readonly message: string;
}

/** An event payload does not match the schema of a job listening to it. */
export class EventValidationError extends StepJobsError {
  readonly issues: readonly ValidationIssue[];
  constructor(eventName: string, issues: readonly ValidationIssue[]) {
    super(
      "EVENT_VALIDATION",
      `event "${eventName}" does not match its schema: ` + issues.map((i) => `${i.path || "/"} ${i.message} (job ${i.jobId})`).join("; "),
    );
    this.name = "EventValidationError";
    this.issues = issues;
  }
}

/**
 * A failed step's error as it crosses a state boundary: into the run state's memo (Step Functions' 256 KiB state
 * quota), the `Cause` of a `Catch` and the execution history (at most 32,768 characters:
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), the run store and the API. Each part
 * is bounded (lib/runtime/error-info.ts `ERROR_BOUNDS`).
 */
export interface ErrorInfo {
  /** What native `Retry` and `retryOn` match: the error's `name`, or its class name when `name` was left "Error". */
  readonly name: string;
  readonly message: string;
  /** The user's stack frames (`at fn (src/jobs/x.ts:12:11)`, source-mapped where the runtime maps), one a line. */
  readonly stack?: string;
  /** The error's own enumerable fields (`code`, `orderId`, ...) as JSON. */
  readonly fields?: Readonly<Record<string, JsonValue>>;
}

/**
 * The error a finished-and-failed task rethrows on replay (what `try/catch` around `io.runTask` catches): the
 * recorded `name`, message and stack, and the recorded fields as its own properties (`error.code`).
 */
export class TaskFailedError extends Error {
  readonly taskId: string;
  readonly taskKey: string;
  /** The task's error as recorded when its last attempt failed (not enumerable: it is not one of the user's fields). */
  declare readonly recorded: ErrorInfo;
  constructor(taskId: string, taskKey: string, recorded: ErrorInfo) {
    super(recorded.message);
    // The user's fields first: they must not replace the ones below.
    Object.assign(this, recorded.fields);
    this.name = recorded.name;
    this.taskId = taskId;
    this.taskKey = taskKey;
    Object.defineProperty(this, "recorded", { value: recorded, enumerable: false });
    if (recorded.stack) this.stack = `${recorded.name}: ${recorded.message}\n${recorded.stack.replace(/^/gm, "    ")}`;
  }
}

/**
 * A run called more tasks than one Step Functions execution can record: its history keeps at most 25,000
 * events (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html) and each task costs about
 * seven (Task and Route states entered, scheduled, started, succeeded, exited). Split the work into child
 * runs, or batch items inside one task.
 */
export class TooManyTasksError extends StepJobsError {
  readonly limit: number;
  constructor(limit: number) {
    super(
      "TOO_MANY_TASKS",
      `the run called more than ${limit} tasks; one Step Functions execution keeps at most 25,000 history events (about 7 per task), so batch items inside a task or start child runs`,
    );
    this.name = "TooManyTasksError";
    this.limit = limit;
  }
}

/**
 * A durable step was called with arguments it cannot compile to its native state, e.g. `io.wait` with a
 * negative or non-numeric duration, or `io.sendEvent` without an event name. Fails the run (a replay would
 * make the same call again), naming the step and the argument.
 */
export class InvalidStepError extends StepJobsError {
  readonly stepKey: string;
  constructor(step: string, stepKey: string, problem: string) {
    super("INVALID_STEP", `${step}("${stepKey}"): ${problem}`);
    this.name = "InvalidStepError";
    this.stepKey = stepKey;
  }
}

/**
 * The stepjobs API refused a request (a 4xx), or kept failing (5xx) until `client.sendEvent` gave up: `status` is the
 * HTTP status, `code` the API's (`UNAUTHORIZED`, `INVALID_EVENT`, `UNAVAILABLE`, ...), the message the API's own.
 */
export class ApiRequestError extends StepJobsError {
  readonly status: number;
  readonly url: string;
  /** The API's `error.details`, when it sent any. */
  readonly details?: unknown;
  constructor(status: number, code: string, message: string, url: string, details?: unknown) {
    super(code, message);
    this.name = "ApiRequestError";
    this.status = status;
    this.url = url;
    this.details = details;
  }
}

/** No answer from the stepjobs API (connection refused, DNS, timeout) after `client.sendEvent`'s retries. */
export class ApiUnreachableError extends StepJobsError {
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super("API_UNREACHABLE", message, options);
    this.name = "ApiUnreachableError";
    this.url = url;
  }
}

/**
 * `client.sendEvents` stopped at an event the API did not take: the events before it were sent (`sent`), the rest
 * were not; `cause` is that event's own error (an {@link EventValidationError}, an {@link ApiRequestError}, ...).
 */
export class SendEventsError extends StepJobsError {
  /** What the API answered for each event sent before the failure, in order. */
  readonly sent: readonly SendEventResult[];
  /** The position of the event that failed in the list given to `sendEvents`. */
  readonly index: number;
  constructor(index: number, total: number, eventId: string, sent: readonly SendEventResult[], cause: Error) {
    super(
      "SEND_EVENTS",
      `event ${index + 1} of ${total} (id "${eventId}") was not sent: ${cause.message}; the ${sent.length} before it ${sent.length === 1 ? "was" : "were"} sent, the rest were not`,
      { cause },
    );
    this.name = "SendEventsError";
    this.sent = sent;
    this.index = index;
  }
}
