import { StepJobsError } from "../sdk/errors.ts";

/**
 * Errors raised by the ingest layer. Each sets `name` (bundlers may rename classes) and a stable `code`
 * that the API and CLI put in their error bodies; see lib/sdk/errors.ts for the base hierarchy.
 */

/** The event envelope (not the payload) is unusable: empty name, over-long id, unparsable timestamp. */
export class InvalidEventError extends StepJobsError {
  /** The envelope field at fault: `name`, `id`, `timestamp`, `source`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super("INVALID_EVENT", `event ${field} ${message}`);
    this.name = "InvalidEventError";
    this.field = field;
  }
}

/**
 * An event too large for the AWS services that carry it: one `PutEvents` entry, or the input of the run it
 * starts. Each is 256 KiB; the request body may be under its own limit and the event still over one of these.
 */
export class EventTooLargeError extends StepJobsError {
  readonly size: number;
  readonly limit: number;
  constructor(what: string, size: number, limit: number, quota: string) {
    super(
      "EVENT_TOO_LARGE",
      `${what} would be ${size} bytes; ${quota} is ${limit} bytes: send a reference to large data (an S3 key) instead`,
    );
    this.name = "EventTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

/** An EventBridge event pattern is malformed (unknown operator, odd `numeric` list, ...). */
export class InvalidEventPatternError extends StepJobsError {
  /** Dotted path of the offending field inside the pattern, e.g. `detail.c-count`. */
  readonly path: string;
  constructor(path: string, message: string) {
    super("INVALID_EVENT_PATTERN", `event pattern ${path ? `field "${path}"` : "root"}: ${message}`);
    this.name = "InvalidEventPatternError";
    this.path = path;
  }
}

/** A job's trigger schema cannot be compiled by ajv (invalid JSON Schema, unknown keyword or format). */
export class SchemaCompileError extends StepJobsError {
  readonly jobId: string;
  /** JSON pointer (RFC 6901) into the schema to the keyword at fault, when it is known. */
  readonly pointer?: string;
  constructor(jobId: string, message: string, options?: { cause?: unknown; pointer?: string }) {
    super("SCHEMA_COMPILE", `job "${jobId}": its trigger schema does not compile: ${message}`, options);
    this.name = "SchemaCompileError";
    this.jobId = jobId;
    if (options?.pointer !== undefined) this.pointer = options.pointer;
  }
}

/** No validator was supplied for a job that listens to the event (a wiring bug, not a user error). */
export class MissingValidatorError extends StepJobsError {
  readonly jobId: string;
  constructor(jobId: string) {
    super("MISSING_VALIDATOR", `no payload validator for job "${jobId}"; compile validators from the same job plans`);
    this.name = "MissingValidatorError";
    this.jobId = jobId;
  }
}

/**
 * A trigger's v2 `filter` cannot become an EventBridge pattern (a form EventBridge cannot express, a mistyped
 * matcher). `path` leads to the offending part (`["amount", 0]`), so synth can point at its file:line.
 */
export class EventFilterError extends StepJobsError {
  readonly path: readonly (string | number)[];
  constructor(path: readonly (string | number)[], problem: string) {
    super("EVENT_FILTER", `filter${path.length > 0 ? ` "${formatFilterPath(path)}"` : ""}: ${problem}`);
    this.name = "EventFilterError";
    this.path = path;
  }
}

/** `customer.tier[0]`: a filter path the way the field is written in code. */
export function formatFilterPath(path: readonly (string | number)[]): string {
  return path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
}
