import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { matchEventPattern } from "../../ingest/event-pattern.ts";
import { toValidationIssues } from "../../ingest/validation-issues.ts";
import type { Job, ValidationIssue } from "./api-types.ts";

/**
 * Checks a payload against the schema of every job listening to the event, in the browser, before it is
 * sent. Issues are formatted by the API's own `toValidationIssues`, so the dialog shows the very pointers
 * and messages a 400 would carry. Ajv is bundled (no CDN); `strict: false` because the server already
 * refused, at load, any schema strict mode rejects.
 */

// The same formats as the server (ajv-formats, full mode), so an address the API would refuse is flagged here.
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const compiled = new Map<string, ValidateFunction | Error>();

/** Every violation of `payload` against each listening job's schema; empty when all accept it. */
export function validatePayload(jobs: readonly Pick<Job, "id" | "trigger">[], payload: unknown): ValidationIssue[] {
  return jobs.flatMap((job) => {
    const validate = compile(job.trigger.schema ?? {});
    if (validate instanceof Error) return [{ jobId: job.id, path: "", message: `schema does not compile: ${validate.message}` }];
    return validate(payload) ? [] : toValidationIssues(job.id, validate.errors);
  });
}

/** The source the API gives an event sent without one (ingest's DEFAULT_EVENT_SOURCE). */
const SENT_SOURCE = "stepjobs";

/**
 * The jobs an event sent from the dashboard (`name`, `payload`, source `stepjobs`) starts: those whose rule pattern
 * (event name, source, trigger filter) matches it, as ingest decides; only their schemas judge the payload.
 */
export function listenersOf<J extends Pick<Job, "trigger">>(jobs: readonly J[], name: string, payload: unknown): J[] {
  const event = { "detail-type": name, source: SENT_SOURCE, detail: { payload } };
  return jobs.filter((job) => (job.trigger.pattern ? matchEventPattern(job.trigger.pattern, event) : job.trigger.event === name));
}

function compile(schema: object): ValidateFunction | Error {
  const key = JSON.stringify(schema);
  let entry = compiled.get(key);
  if (!entry) {
    try {
      entry = ajv.compile(schema);
    } catch (error) {
      entry = error instanceof Error ? error : new Error(String(error));
    }
    compiled.set(key, entry);
  }
  return entry;
}
