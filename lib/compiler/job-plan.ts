import type { SourceLocation } from "../sdk/errors.ts";
import type { EventFilter, RetryOptions, RunTaskOptions } from "../sdk/types.ts";
import type { AslRetrier } from "./compile-retry.ts";
import type { ConcurrencyPlan } from "./concurrency-limit.ts";
import type { SchedulePlan } from "./schedule.ts";

/** A job as `stepjobs synth` sees it statically: plain JSON, the input of every renderer. */
export interface JobPlan {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  /** Where `defineJob` is called. */
  readonly location: SourceLocation;
  readonly trigger: {
    /** EventBridge `detail-type`. */
    readonly event: string;
    readonly source?: string;
    /** The JSON Schema the payload must match. */
    readonly schema: Record<string, unknown>;
    /** For `cronTrigger`/`intervalTrigger`: the EventBridge Scheduler expression that puts `event` on the bus. */
    readonly schedule?: SchedulePlan;
    /**
     * Trigger.dev v2's filter over the payload, as written (literal JSON); `eventPatternFor` compiles it into the
     * rule's `detail.payload` keys. Absent: every event with the name (and source) starts a run.
     */
    readonly filter?: EventFilter;
  };
  /** Client-wide retry defaults, read from `new TriggerClient({ defaults })` when it is a literal. */
  readonly defaults?: RetryOptions;
  /** One entry per distinct task id (or id pattern), in source order. */
  readonly tasks: readonly TaskPlan[];
  /** Durable steps other than tasks the job's file uses; each kind adds its native state(s). Absent: none. */
  readonly steps?: StepsPlan;
  /**
   * `express` compiles to an Express workflow: cheaper per run, at most 5 minutes, at-least-once
   * (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html). @default "standard"
   */
  readonly mode?: "standard" | "express";
  /** `concurrencyLimit`: the run queues for a slot before its first state (concurrency-limit.ts). Absent: no limit. */
  readonly concurrency?: ConcurrencyPlan;
}

/** Where the job calls `io.wait`, `io.sendEvent` and `Promise.all`-style combinators (parallel tasks). */
export interface StepsPlan {
  readonly wait: readonly StepSite[];
  readonly sendEvent: readonly StepSite[];
  readonly parallel: readonly StepSite[];
}

/** One call site of a durable step. */
export interface StepSite {
  /** The step key when it is a literal. */
  readonly key?: string;
  /** `io.wait` with literal seconds: how many. */
  readonly seconds?: number;
  readonly location: SourceLocation;
}

/** A task discovered from an `io.runTask` call. */
export interface TaskPlan {
  /** The literal id, or for a template literal the pattern with `*` per substitution. */
  readonly id: string;
  /** `literal` ids route with `StringEquals`, `pattern` ids with `StringMatches`. */
  readonly match: "literal" | "pattern";
  /** The ASL state name (the id where valid; see `stateNameFor`). */
  readonly stateName: string;
  /** The options object as written (absent: none). */
  readonly options?: RunTaskOptions;
  /** The compiled native retrier (the user's policy; `renderStateMachine` adds the fixed ones). */
  readonly retry: AslRetrier;
  /** Total attempts the policy allows. */
  readonly maxAttempts: number;
  /** Where the first call is. */
  readonly location: SourceLocation;
}

/** A non-fatal finding of the compiler (e.g. a delay rounded up to whole seconds). */
export interface CompilerWarning {
  readonly location: SourceLocation;
  readonly message: string;
}
