import { StepJobsError, type ValidationIssue } from "../sdk/errors.ts";
import type { IncomingEvent } from "./types.ts";

/**
 * The checks of a `POST /api/v1/events` request, shared by the local server and the cloud API Lambda so both
 * answer the same status, code and message for the same mistake.
 */

/** An API error: HTTP status, stable code, a one-line message, optional details (e.g. validation issues). */
export class ApiError extends StepJobsError {
  readonly status: number;
  readonly details?: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(code, message);
    this.name = "ApiError";
    this.status = status;
    this.details = details;
  }
}

/** The JSON error body every stepjobs API answers: `{ error: { code, message, details? } }`. */
export function apiErrorBody(error: ApiError) {
  return { error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } };
}

/**
 * An `INVALID_EVENT` raised while normalizing an event (bad id or timestamp) as its 400, an `EVENT_TOO_LARGE`
 * as its 413; other errors unchanged.
 */
export function invalidEventAsApiError(error: unknown): unknown {
  if (!(error instanceof StepJobsError)) return error;
  if (error.code === "INVALID_EVENT") return new ApiError(400, "INVALID_EVENT", error.message);
  if (error.code === "EVENT_TOO_LARGE") return new ApiError(413, "EVENT_TOO_LARGE", error.message);
  return error;
}

/**
 * Largest request body: one EventBridge `PutEvents` entry may be 256 KiB
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 */
export const MAX_EVENT_BODY_BYTES = 256 * 1024;

/** 415 unless the body is declared as JSON. */
export function checkEventContentType(contentType: string | undefined): void {
  const type = (contentType ?? "").split(";", 1).join("").trim().toLowerCase();
  if (type !== "application/json")
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", 'send the event as JSON with "Content-Type: application/json"');
}

/** 413 when a body of `bytes` is over the limit. */
export function checkEventBodySize(bytes: number, limit = MAX_EVENT_BODY_BYTES): void {
  if (bytes > limit) throw new ApiError(413, "PAYLOAD_TOO_LARGE", `request body is ${bytes} bytes; the limit is ${limit}`);
}

/** Parses the body: a JSON object with a non-empty `name` (400 `MALFORMED_JSON`, `INVALID_EVENT`, `MISSING_NAME`). */
export function parseEventBody(text: string): IncomingEvent {
  if (text.trim() === "") throw new ApiError(400, "MALFORMED_JSON", 'the request body is empty; send a JSON object { "name", "payload" }');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "MALFORMED_JSON", `request body is not valid JSON: ${(error as Error).message}`);
  }
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw new ApiError(400, "INVALID_EVENT", 'request body must be a JSON object { "name", "payload", "id"?, "timestamp"? }');
  const event = body as Record<string, unknown>;
  if (typeof event.name !== "string" || event.name.trim() === "")
    throw new ApiError(400, "MISSING_NAME", 'event "name" is required and must be a non-empty string');
  return event as unknown as IncomingEvent;
}

/** The note a `200` answer to a repeated event id carries when the request's body differs from the recorded event's. */
export interface DuplicateIdWarning {
  readonly code: "DUPLICATE_ID_DIFFERENT_BODY";
  readonly message: string;
  readonly differs: readonly string[];
}

/**
 * Says that an event id was reused with a different name, source or payload: the answer is the original event's
 * (its runs), and this request was neither recorded nor started anything, so a client that meant a new event
 * learns it must send a new id.
 */
export function duplicateIdWarning(id: string, differs: readonly string[]): DuplicateIdWarning {
  return {
    code: "DUPLICATE_ID_DIFFERENT_BODY",
    message: `event id "${id}" was already received with a different ${differs.join(" and ")}; this request was ignored and the runs are the first event's: send a new id for a new event`,
    differs,
  };
}

/** The 400 for an event that failed a listening job's schema: every issue with its JSON pointer. */
export function eventValidationError(event: { readonly id: string; readonly name: string }, errors: readonly ValidationIssue[]): ApiError {
  const summary = errors.map((e) => `${e.path || "/"} ${e.message}`).join("; ");
  return new ApiError(400, "EVENT_VALIDATION", `event "${event.name}" does not match its schema: ${summary}`, { id: event.id, errors });
}
