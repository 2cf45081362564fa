import { eventPatternFor } from "../ingest/event-pattern.ts";
import type { JobPlan } from "./job-plan.ts";

/**
 * What starts a job, in one line, as `stepjobs synth` and `stepjobs dev` print it beside the job: a schedule's
 * expression, or the event name with its source and the rule's compiled payload pattern (its v2 filter as EventBridge
 * reads it): `"order.created" where {"status":["paid"],"amount":[{"numeric":[">",100]}]}`.
 */
export function describeTrigger(trigger: JobPlan["trigger"]): string {
  if (trigger.schedule) return trigger.schedule.expression;
  const payload = eventPatternFor(trigger).detail?.payload;
  const source = trigger.source === undefined ? "" : ` from "${trigger.source}"`;
  return `"${trigger.event}"${source}${payload === undefined ? "" : ` where ${JSON.stringify(payload)}`}`;
}
