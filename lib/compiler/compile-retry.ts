import { RetryOptionsError } from "../sdk/errors.ts";
import type { RetryOptions, RunTaskOptions } from "../sdk/types.ts";

/**
 * One ASL retrier. Field ranges from the Amazon States Language spec
 * (https://states-language.net/spec.html#retrying-after-error) and the Step Functions docs
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 */
export interface AslRetrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: "FULL" | "NONE";
}

/**
 * Errors that must never be retried; placed first in a task's `Retry` with `MaxAttempts: 0` so they go straight to
 * `Catch` (the runner's dynamic retries apply it too).
 */
export const NON_RETRIABLE_RETRIER: AslRetrier = {
  ErrorEquals: ["NonRetriableError", "TaskOutputTooLargeError"],
  MaxAttempts: 0,
};

/** The result of {@link compileRetry}: the retrier, the total attempts it allows, and rounding warnings. */
export interface CompiledRetry {
  readonly retrier: AslRetrier;
  /** Total attempts, the first included (`retrier.MaxAttempts + 1`). */
  readonly maxAttempts: number;
  readonly warnings: readonly string[];
}

/** Defaults when neither the task nor the client sets a field: 3 attempts, 1 s, backoff 2, full jitter, 60 s cap. */
export const DEFAULT_RETRY = {
  maxAttempts: 3,
  retryDelayInMs: 1000,
  factor: 2,
  randomize: true,
  maxDelayInMs: 60_000,
} as const;

/** ASL caps `MaxAttempts`, `IntervalSeconds` and `BackoffRate` at 99999999. */
export const ASL_MAX_RETRY_VALUE = 99_999_999;
/** ASL caps `MaxDelaySeconds` below 31622401 (one year). */
export const ASL_MAX_DELAY_SECONDS = 31_622_400;

const RETRY_KEYS = new Set([
  "maxAttempts",
  "retryDelayInMs",
  "factor",
  "backoffRate",
  "maxDelayInMs",
  "maxTimeoutInMs",
  "randomize",
  "jitter",
  "retryOn",
  "retry",
]);
const TASK_ONLY_KEYS = new Set(["name", "icon"]);
const V2_RETRY_KEYS = new Set(["limit", "factor", "minTimeoutInMs", "maxTimeoutInMs", "randomize"]);

function checkKeys(value: object, allowed: Set<string>, prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new RetryOptionsError(prefix + key, "is not a retry option");
  }
}

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RetryOptionsError(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function numberIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new RetryOptionsError(field, `must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function bool(field: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new RetryOptionsError(field, `must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** Picks the one field that is set among aliases; two set at once is ambiguous, so an error. */
function pick<T>(entries: readonly (readonly [string, T | undefined])[]): readonly [string, T] | undefined {
  const [first, second] = entries.filter((e): e is readonly [string, T] => e[1] !== undefined);
  if (first && second) throw new RetryOptionsError(second[0], `conflicts with ${first[0]}; set only one of them`);
  return first;
}

/** The fields of one options object, validated, in stepjobs units (attempts, ms). Absent = undefined. */
interface NormalizedRetry {
  maxAttempts?: number;
  delayMs?: number;
  factor?: number;
  maxDelayMs?: number;
  randomize?: boolean;
  retryOn?: readonly string[];
}

function normalize(options: RunTaskOptions | RetryOptions | undefined, prefix: string): NormalizedRetry {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new RetryOptionsError(prefix || "options", "must be an object");
  }
  checkKeys(options, new Set([...RETRY_KEYS, ...TASK_ONLY_KEYS]), prefix);
  const v2 = options.retry;
  if (v2 !== undefined) {
    if (typeof v2 !== "object" || v2 === null || Array.isArray(v2)) throw new RetryOptionsError(`${prefix}retry`, "must be an object");
    checkKeys(v2, V2_RETRY_KEYS, `${prefix}retry.`);
  }
  const out: NormalizedRetry = {};
  const attempts = pick<number>([
    [`${prefix}maxAttempts`, options.maxAttempts],
    [`${prefix}retry.limit`, v2?.limit === undefined ? undefined : v2.limit],
  ]);
  if (attempts) {
    out.maxAttempts = attempts[0].endsWith("retry.limit")
      ? integerIn(attempts[0], attempts[1], 0, ASL_MAX_RETRY_VALUE) + 1
      : integerIn(attempts[0], attempts[1], 1, ASL_MAX_RETRY_VALUE + 1);
  }
  const delay = pick<number>([
    [`${prefix}retryDelayInMs`, options.retryDelayInMs],
    [`${prefix}retry.minTimeoutInMs`, v2?.minTimeoutInMs],
  ]);
  if (delay) out.delayMs = numberIn(delay[0], delay[1], 0, ASL_MAX_RETRY_VALUE * 1000);
  const factor = pick<number>([
    [`${prefix}factor`, options.factor],
    [`${prefix}backoffRate`, options.backoffRate],
    [`${prefix}retry.factor`, v2?.factor],
  ]);
  if (factor) out.factor = numberIn(factor[0], factor[1], 1, ASL_MAX_RETRY_VALUE);
  const maxDelay = pick<number>([
    [`${prefix}maxDelayInMs`, options.maxDelayInMs],
    [`${prefix}maxTimeoutInMs`, options.maxTimeoutInMs],
    [`${prefix}retry.maxTimeoutInMs`, v2?.maxTimeoutInMs],
  ]);
  if (maxDelay) out.maxDelayMs = numberIn(maxDelay[0], maxDelay[1], 1, ASL_MAX_DELAY_SECONDS * 1000);
  const jitter = pick<boolean>([
    [`${prefix}randomize`, options.randomize === undefined ? undefined : bool(`${prefix}randomize`, options.randomize)],
    [`${prefix}retry.randomize`, v2?.randomize === undefined ? undefined : bool(`${prefix}retry.randomize`, v2.randomize)],
    [`${prefix}jitter`, options.jitter === undefined ? undefined : jitterFlag(`${prefix}jitter`, options.jitter)],
  ]);
  if (jitter) out.randomize = jitter[1];
  if (options.retryOn !== undefined) out.retryOn = errorNames(`${prefix}retryOn`, options.retryOn);
  return out;
}

function jitterFlag(field: string, value: unknown): boolean {
  if (value !== "full" && value !== "none") throw new RetryOptionsError(field, `must be "full" or "none", got ${JSON.stringify(value)}`);
  return value === "full";
}

function errorNames(field: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === "string" && v.length > 0)) {
    throw new RetryOptionsError(field, "must be a non-empty array of error names");
  }
  if (value.includes("States.ALL") && value.length > 1) {
    throw new RetryOptionsError(field, 'must list "States.ALL" alone (ASL requires it)');
  }
  return value as string[];
}

/**
 * Translates stepjobs/Trigger.dev retry options into one ASL retrier, validating first (errors name the
 * field, e.g. `maxAttempts must be an integer from 1 to 100000000, got 0`). Task options override client
 * defaults field by field. When a delay is given without a backoff factor ("wait 1 second between retries"), the
 * wait is fixed: `BackoffRate: 1`. A given delay is never jittered unless `randomize`/`jitter` ask for it.
 */
export function compileRetry(options?: RunTaskOptions | RetryOptions, defaults?: RetryOptions): CompiledRetry {
  const base = normalize(defaults, "defaults.retry.");
  const own = normalize(options, "");
  const merged: NormalizedRetry = { ...base, ...stripUndefined(own) };
  const fixedDelay = merged.delayMs !== undefined && merged.factor === undefined;
  const maxAttempts = merged.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const delayMs = merged.delayMs ?? DEFAULT_RETRY.retryDelayInMs;
  const factor = merged.factor ?? (fixedDelay ? 1 : DEFAULT_RETRY.factor);
  // FULL jitter draws each wait from 0 up to the delay: a delay someone wrote (task or client defaults) is a
  // minimum, so it is jittered only when asked (`randomize`, `jitter`); the built-in default is jittered.
  const randomize = merged.randomize ?? (merged.delayMs !== undefined ? false : DEFAULT_RETRY.randomize);
  const maxDelayMs = merged.maxDelayMs ?? (factor > 1 ? DEFAULT_RETRY.maxDelayInMs : undefined);

  const warnings: string[] = [];
  const intervalSeconds = Math.max(1, Math.ceil(delayMs / 1000));
  if (intervalSeconds * 1000 !== delayMs) {
    warnings.push(
      `retry delay ${delayMs} ms rounded up to ${intervalSeconds} s: Step Functions IntervalSeconds is a whole number of seconds, at least 1`,
    );
  }
  let maxDelaySeconds: number | undefined;
  if (maxDelayMs !== undefined) {
    maxDelaySeconds = Math.ceil(maxDelayMs / 1000);
    if (maxDelaySeconds * 1000 !== maxDelayMs) {
      warnings.push(`maximum retry delay ${maxDelayMs} ms rounded up to ${maxDelaySeconds} s`);
    }
  }
  const retrier: AslRetrier = {
    ErrorEquals: merged.retryOn ?? ["States.ALL"],
    IntervalSeconds: intervalSeconds,
    MaxAttempts: maxAttempts - 1,
    BackoffRate: factor,
    ...(maxDelaySeconds !== undefined ? { MaxDelaySeconds: maxDelaySeconds } : {}),
    ...(randomize ? { JitterStrategy: "FULL" as const } : {}),
  };
  return { retrier, maxAttempts, warnings };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
