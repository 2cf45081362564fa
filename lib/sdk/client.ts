import type { FromSchema, JSONSchema } from "json-schema-to-ts";
import type { $ZodType, output as ZodOutput } from "zod/v4/core";
import { eventApiFrom, type SendEvent, type SendEventResult, sendEventsTo, sendEventTo } from "./send-event.ts";
import type { Context, EventFilter, IO, RetryOptions } from "./types.ts";

/** Options of `new TriggerClient(...)`. */
export interface TriggerClientOptions {
  /** The app id, shown in the dashboard and used to name the CDK stack's resources. */
  readonly id: string;
  /** API key for `client.sendEvent` against a running stepjobs API. @default process.env.TRIGGER_API_KEY (read when sending) */
  readonly apiKey?: string;
  /**
   * Base URL of the stepjobs API: `stepjobs dev`'s, or the deployed stack's `ApiUrl` output (its function URL).
   * @default process.env.TRIGGER_API_URL ?? "http://localhost:8080" (read when sending)
   */
  readonly apiUrl?: string;
  /** Defaults for every job of this client; a task's own options override them field by field. */
  readonly defaults?: { readonly retry?: RetryOptions };
}

/**
 * What a trigger's payload must match: JSON Schema, or a zod 4 schema (Trigger.dev v2's default), which synth converts
 * to JSON Schema with zod's own converter (transforms, defaults and refinements are synth errors: ingest runs no zod).
 */
export type TriggerSchema = JSONSchema | $ZodType;

/** An event trigger: the event name a job listens to and the schema its payload must match. */
export interface EventTrigger<TPayload = unknown> {
  readonly type: "event";
  /** EventBridge `detail-type` the job's rule matches. */
  readonly name: string;
  /** EventBridge `source` the rule also matches, when set. */
  readonly source?: string;
  readonly schema: TriggerSchema;
  /** Trigger.dev v2's filter over the payload: more keys of the rule's EventBridge pattern. @default none */
  readonly filter?: EventFilter;
  /** Phantom field carrying the payload type; never set at run time. */
  readonly __payload?: TPayload;
}

/** What a scheduled job's `run` receives: when this run was scheduled (Trigger.dev v2's `ScheduledPayload`). */
export interface ScheduledPayload {
  /** ISO-8601 time the schedule fired for (EventBridge Scheduler's `<aws.scheduler.scheduled-time>`). */
  readonly ts: string;
}

/**
 * A schedule trigger: `cronTrigger` or `intervalTrigger`. Deployed as an EventBridge Scheduler schedule that puts
 * the job's event on the app's bus (so it is recorded and deduplicated like any event); `stepjobs dev` fires it locally.
 */
export interface ScheduleTrigger {
  readonly type: "schedule";
  /** AWS cron expression, six fields: minutes hours day-of-month month day-of-week year. */
  readonly cron?: string;
  /** Fixed interval in seconds (whole minutes, 60 to 604800). */
  readonly seconds?: number;
  /** Phantom field carrying the payload type; never set at run time. */
  readonly __payload?: ScheduledPayload;
}

/**
 * Runs a job on an AWS cron schedule (UTC), e.g. `cronTrigger({ cron: "0 9 ? * MON-FRI *" })`: six fields,
 * one of day-of-month and day-of-week is `?`
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based).
 */
export function cronTrigger(options: { readonly cron: string }): ScheduleTrigger {
  return { type: "schedule", cron: options.cron };
}

/**
 * Runs a job every `seconds` (whole minutes from 60 to 604800, as Trigger.dev v2 allowed), compiled to an
 * EventBridge Scheduler `rate(...)` expression (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#rate-based).
 */
export function intervalTrigger(options: { readonly seconds: number }): ScheduleTrigger {
  return { type: "schedule", seconds: options.seconds };
}

/** Options of `client.on(name, options)`. */
export interface EventTriggerOptions<S> {
  /** JSON Schema (draft-07 keywords ajv supports), or a zod 4 schema, the payload must match. */
  readonly schema: S;
  /** Restrict to events from this EventBridge `source`. @default any source */
  readonly source?: string;
  /**
   * Start a run only for events whose payload matches (Trigger.dev v2's EventFilter: `{ status: ["paid"], amount:
   * [{ $gt: 100 }] }`). Compiled at synth into the rule's EventBridge pattern (literal JSON only); an event that
   * misses it is recorded but starts no run of this job, and is not checked against its schema. @default every event
   */
  readonly filter?: EventFilter;
}

/** Options of `eventTrigger({...})`: Trigger.dev v2's form of {@link TriggerClient.on}. */
export interface EventTriggerDefinition<S> extends EventTriggerOptions<S> {
  /** The event name (EventBridge `detail-type`) the job listens to. */
  readonly name: string;
}

/**
 * Trigger.dev v2's `eventTrigger({ name, schema, source, filter })`: the same trigger as
 * `client.on(name, { schema, source, filter })`, an EventBridge rule on the event name (and source, and filter).
 */
export function eventTrigger<S extends $ZodType>(options: EventTriggerDefinition<S>): NoInfer<EventTrigger<ZodOutput<S>>>;
export function eventTrigger<const S extends JSONSchema>(options: EventTriggerDefinition<S>): NoInfer<EventTrigger<FromSchema<S>>>;
export function eventTrigger(options: EventTriggerDefinition<TriggerSchema>): Omit<EventTrigger, "__payload"> {
  return eventTriggerOf(options);
}

/** The trigger object itself, without its phantom payload type (relating one to `FromSchema<S>` is TS2589). */
function eventTriggerOf(options: EventTriggerDefinition<unknown>): Omit<EventTrigger, "__payload"> {
  const { name, source, schema, filter } = options;
  return { type: "event", name, source, schema: schema as TriggerSchema, filter };
}

/** What `client.defineJob` takes. */
export interface JobDefinition<TPayload> {
  /** Unique, machine-readable id (kebab-case); names the state machine. */
  readonly id: string;
  /** Human-readable name shown in the dashboard. */
  readonly name: string;
  /** Semantic version of the job. */
  readonly version: string;
  /** An event (`client.on`) or a schedule (`cronTrigger`, `intervalTrigger`, whose runs receive {@link ScheduledPayload}). */
  readonly trigger: EventTrigger<TPayload> | (ScheduleTrigger & { readonly __payload?: TPayload });
  /**
   * `express` deploys an Express workflow: for short (at most 5 minutes), high-volume jobs, billed per
   * request and duration instead of per state transition, with at-least-once steps
   * (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html). Synth rejects waits
   * it cannot prove shorter than 5 minutes. @default "standard"
   */
  readonly mode?: "standard" | "express";
  /**
   * At most this many runs at once; the others wait (no Lambda running) and start in arrival order as slots free.
   * A number, a limit shared by jobs (`client.defineConcurrencyLimit`), or `{ limit, key: "payload.tenantId" }` for
   * one limit per value of a payload field. Read at synth (literal values, or a `const` made by
   * `defineConcurrencyLimit`); compiled to DynamoDB states before the job's first state. Standard workflows only.
   * @default no limit
   */
  readonly concurrencyLimit?: number | ConcurrencyLimit | ConcurrencyKeyLimit;
  /** The job body: replayed on every step, so task order must depend only on payload and task results. */
  readonly run: (payload: TPayload, io: IO, ctx: Context) => Promise<unknown>;
}

/** A limit several jobs share (Trigger.dev v2's `client.defineConcurrencyLimit({ id, limit })`). */
export interface ConcurrencyLimit {
  readonly id: string;
  readonly limit: number;
}

/** One limit per value of a payload field: `{ limit: 2, key: "payload.tenantId" }`. */
export interface ConcurrencyKeyLimit {
  readonly limit: number;
  /** `payload.` and a dotted path of property names; the field must be required by the trigger's schema. */
  readonly key: string;
}

/** A registered job. */
export interface Job<TPayload = unknown> extends JobDefinition<TPayload> {
  readonly client: TriggerClient;
}

const REGISTRY = Symbol.for("stepjobs.jobs");
type Registry = Map<string, Job<any>>;

/**
 * Every job defined in this process, keyed by id. Kept on `globalThis` so the runner finds jobs even
 * when a bundler or loader ends up with two copies of this module.
 */
export function registeredJobs(): Registry {
  const g = globalThis as { [REGISTRY]?: Registry };
  return (g[REGISTRY] ??= new Map());
}

/**
 * The stepjobs client, API-compatible with Trigger.dev v2's `TriggerClient` for defining jobs.
 * Jobs defined through it are compiled to one Step Functions state machine each.
 */
export class TriggerClient {
  readonly id: string;
  readonly options: TriggerClientOptions;

  constructor(options: TriggerClientOptions) {
    this.id = options.id;
    this.options = options;
  }

  /**
   * Declares an event trigger. The payload type is inferred from the schema: a zod schema's output type, or an inline
   * JSON Schema's (no `as const` needed); `NoInfer` keeps the nested inference inside `defineJob` shallow (TS2589 otherwise).
   */
  on<S extends $ZodType>(name: string, options: EventTriggerOptions<S>): NoInfer<EventTrigger<ZodOutput<S>>>;
  on<const S extends JSONSchema>(name: string, options: EventTriggerOptions<S>): NoInfer<EventTrigger<FromSchema<S>>>;
  on(name: string, options: EventTriggerOptions<TriggerSchema>): Omit<EventTrigger, "__payload"> {
    return eventTriggerOf({ ...options, name });
  }

  /**
   * Sends an event from application code (an API route, a script; inside a job use `io.sendEvent`, which is durable):
   * `POST <apiUrl>/api/v1/events` with the client's `apiKey`. Resolves with the event id and the runs it started.
   * A 5xx, a 429 or a failed connection is retried with the same id (ids dedupe: never a second run); a 4xx throws
   * at once (`EventValidationError` with each issue's JSON pointer, else `ApiRequestError` with the API's message).
   */
  async sendEvent(event: SendEvent): Promise<SendEventResult> {
    return sendEventTo(eventApiFrom(this.options), event);
  }

  /**
   * Sends events in order, one request each (see {@link sendEvent}). If one fails, the rest are not sent and a
   * `SendEventsError` says which (its `sent` lists the answers for those before it, its `cause` the event's own error).
   */
  async sendEvents(events: readonly SendEvent[]): Promise<SendEventResult[]> {
    return sendEventsTo(eventApiFrom(this.options), events);
  }

  /** A concurrency limit to share between jobs: pass it as their `concurrencyLimit` (Trigger.dev v2). */
  defineConcurrencyLimit(options: ConcurrencyLimit): ConcurrencyLimit {
    return { id: options.id, limit: options.limit };
  }

  /** Defines (and registers) a job. Redefining an id replaces it, which is what a dev reload wants. */
  defineJob<TPayload>(definition: JobDefinition<TPayload>): Job<TPayload> {
    const job: Job<TPayload> = { ...definition, client: this };
    registeredJobs().set(job.id, job);
    return job;
  }
}
