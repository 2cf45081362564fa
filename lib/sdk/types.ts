/**
 * Public types of the stepjobs SDK. Task results and payloads cross a Step Functions state boundary
 * as JSON (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html),
 * so the types say so: what a task returns comes back as `Jsonify<T>`.
 */

/** A JSON value: what survives `JSON.stringify` and a Step Functions state transition. */
export type JsonPrimitive = string | number | boolean | null;
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;

/**
 * What `JSON.parse(JSON.stringify(value))` gives back, as a type: dates become strings, functions and
 * `undefined` properties disappear, class instances lose their methods. A task's result is memoized
 * as JSON, so a replayed run sees exactly this.
 */
export type Jsonify<T> = T extends { toJSON(): infer J }
  ? Jsonify<J>
  : T extends JsonPrimitive
    ? T
    : T extends undefined | void
      ? undefined
      : T extends bigint | symbol | ((...args: never[]) => unknown)
        ? never
        : T extends readonly (infer E)[]
          ? Jsonify<E extends undefined | ((...args: never[]) => unknown) ? null : E>[]
          : T extends object
            ? { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Jsonify<T[K]> }
            : never;

/**
 * Retry options for a task (or client-wide defaults). `maxAttempts` counts every attempt, as
 * Trigger.dev does; the compiled ASL `MaxAttempts` counts retries, so it is `maxAttempts - 1`.
 * See https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error
 */
export interface RetryOptions {
  /** Total attempts including the first. @default 3 */
  readonly maxAttempts?: number;
  /** Wait before the first retry, in ms; rounded up to whole seconds (ASL `IntervalSeconds`). @default 1000 */
  readonly retryDelayInMs?: number;
  /** Multiplier applied to the wait after each retry (ASL `BackoffRate`). @default 2, or 1 when only `retryDelayInMs` is set */
  readonly factor?: number;
  /** Alias of `factor`, named as in ASL. */
  readonly backoffRate?: number;
  /** Upper bound of a single wait, in ms (ASL `MaxDelaySeconds`). @default 60000 */
  readonly maxDelayInMs?: number;
  /** Alias of `maxDelayInMs`, named as in Trigger.dev v2. */
  readonly maxTimeoutInMs?: number;
  /**
   * Randomize waits (ASL `JitterStrategy: "FULL"`: each wait drawn from 0 up to the computed delay).
   * @default true, or false when a delay is written (`retryDelayInMs`, `retry.minTimeoutInMs`, here or in the client's defaults)
   */
  readonly randomize?: boolean;
  /** ASL-style jitter switch; `"full"` equals `randomize: true`. */
  readonly jitter?: "full" | "none";
  /** Retry only errors with these names (ASL `ErrorEquals`). @default every error except NonRetriableError */
  readonly retryOn?: readonly string[];
  /** The Trigger.dev v2 shape, accepted for compatibility: `limit` is the number of retries. */
  readonly retry?: {
    readonly limit?: number;
    readonly factor?: number;
    readonly minTimeoutInMs?: number;
    readonly maxTimeoutInMs?: number;
    readonly randomize?: boolean;
  };
}

/** Options of one `io.runTask` call. Must be an object literal so `stepjobs synth` can read it. */
export interface RunTaskOptions extends RetryOptions {
  /** Display name in the dashboard. @default the task id */
  readonly name?: string;
  /** Icon name, accepted for Trigger.dev compatibility and shown in the dashboard. */
  readonly icon?: string;
}

/** Log levels of `io.logger`, in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One `io.logger` line, attributed to the task and attempt that wrote it (if any). */
export interface LogLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly data?: unknown;
  /** Task id whose function wrote the line; absent for lines written between tasks. */
  readonly taskId?: string;
  /** Attempt number of that task (1 on the first). */
  readonly attempt?: number;
  /** ISO-8601 time the line was written. */
  readonly at: string;
}

/** `io.logger`: lines are stored with the run and printed once, never again on replay. */
export interface Logger {
  debug(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}

/** What a task function receives as its second argument. */
export interface TaskContext {
  /** The task id passed to `io.runTask`. */
  readonly id: string;
  /** The memo key: id plus occurrence index, unique within the run. */
  readonly key: string;
  /** A stable key for downstream idempotency (run id + task key), identical across retries. */
  readonly idempotencyKey: string;
  /** This attempt, 1 on the first. */
  readonly attempt: { readonly number: number };
}

/**
 * The result of the previous task, handed to a task whose `io.runTask` call passes no payload
 * (the tutorial's `send-confirmation`). Its type cannot be known statically, hence `any`.
 */
export type PreviousTaskResult = any;

/** `io`: the durable operations a job's `run` may perform. */
export interface IO {
  /** Structured logger; lines appear in the terminal and the dashboard, once per line. */
  readonly logger: Logger;
  /**
   * Runs `fn` as a durable task: its result is memoized, it is retried natively by Step Functions
   * (`options` become the task state's `Retry`), and it never runs again once it succeeded.
   * Without `payload`, `fn` receives the previous task's result.
   */
  runTask<T>(id: string, fn: (payload: PreviousTaskResult, task: TaskContext) => Promise<T> | T): Promise<Jsonify<T>>;
  runTask<T, P>(
    id: string,
    fn: (payload: NoInfer<P>, task: TaskContext) => Promise<T> | T,
    payload: P,
    options?: RunTaskOptions,
  ): Promise<Jsonify<T>>;
  /**
   * Pauses the run in a native `Wait` state (no Lambda runs meanwhile). `key` names the step: unique per
   * run together with its occurrence, like a task id.
   */
  wait(key: string, duration: WaitDuration): Promise<void>;
  /**
   * Puts an event on the app's bus with a native EventBridge `PutEvents` state (no Lambda). The event goes
   * through ingest, so it can trigger other jobs; its id defaults to one derived from the run and `key`,
   * so a retried send never starts a second run.
   */
  sendEvent(key: string, event: SendEventInput): Promise<SentEvent>;
}

/**
 * How long `io.wait` pauses the run: seconds from now (a number, as in Trigger.dev v2, or `{ seconds }`), or
 * until a moment (`{ until }`). Compiled to a native `Wait` state: no Lambda runs while the run waits, and a
 * Standard workflow may wait up to its one-year execution limit
 * (https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html).
 */
export type WaitDuration = number | { readonly seconds: number } | { readonly until: Date | string };

/** An event `io.sendEvent` puts on the app's bus; it goes through ingest like an event sent over HTTP. */
export interface SendEventInput {
  /** The event name (EventBridge `detail-type`) other jobs' triggers match. */
  readonly name: string;
  /** The payload, validated against each listening job's schema. */
  readonly payload?: unknown;
  /** The event id (idempotency key). @default `${runId}:${step key}`, so a retried send starts nothing twice */
  readonly id?: string;
  /** EventBridge `source`. @default "stepjobs" */
  readonly source?: string;
}

/** What `io.sendEvent` resolves to once the event is on the bus. */
export interface SentEvent {
  /** The event id ingest deduplicates on. */
  readonly id: string;
}

/** `ctx`: facts about the current run. */
export interface Context {
  readonly job: { readonly id: string; readonly version: string };
  readonly run: { readonly id: string };
  readonly event: { readonly id: string; readonly name: string; readonly timestamp: string };
  /** The attempt of the task currently executing: 1 on the first, `$$.State.RetryCount + 1` in AWS. */
  readonly attempt: { readonly number: number };
}

/**
 * One content matcher of a v2 `EventFilter` list (`amount: [{ $gt: 100 }]`). Compiled at synth into the EventBridge
 * operator of the job's rule (`$startsWith` -> `prefix`, `$gt` -> `numeric`, ...): see docs/how-it-maps.md
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
 */
export type EventFilterMatcher =
  | { readonly $startsWith: string }
  | { readonly $endsWith: string }
  | { readonly $ignoreCaseEquals: string }
  | { readonly $exists: boolean }
  | { readonly $isNull: boolean }
  | { readonly $anythingBut: string | number | boolean | readonly string[] | readonly number[] | readonly boolean[] }
  | { readonly $gt: number }
  | { readonly $gte: number }
  | { readonly $lt: number }
  | { readonly $lte: number }
  | { readonly $between: readonly [number, number] }
  | { readonly $includes: string | number | boolean };

/**
 * Trigger.dev v2's event filter over the payload: per field, a list of values (any of them) or of matchers (all of
 * them), or a nested filter for an object field. It becomes more keys of the job's EventBridge rule, so an event
 * that misses it starts no run of that job (and is not checked against that job's schema).
 */
export type EventFilter = {
  readonly [field: string]: readonly string[] | readonly number[] | readonly boolean[] | readonly EventFilterMatcher[] | EventFilter;
};
