/**
 * stepjobs: Trigger.dev v2-style jobs that deploy as native AWS Step Functions.
 * This entry point is what job authors import and is bundled into each runner Lambda,
 * so it imports no AWS SDK, CDK or dev-runtime code.
 */
export { TriggerClient, cronTrigger, eventTrigger, intervalTrigger, registeredJobs } from "./client.ts";
export type {
  ConcurrencyKeyLimit,
  ConcurrencyLimit,
  EventTrigger,
  EventTriggerDefinition,
  EventTriggerOptions,
  Job,
  JobDefinition,
  ScheduledPayload,
  ScheduleTrigger,
  TriggerClientOptions,
  TriggerSchema,
} from "./client.ts";
export * from "./errors.ts";
export type { SendEvent, SendEventResult } from "./send-event.ts";
export type * from "./types.ts";
