import type { ApiErrorBody, Run, SendEventResult, ValidationIssue } from "../view/api-types.ts";

/**
 * The dashboard's only way to the data: same-origin `fetch` on `/api/v1`. The dev server authenticates
 * the page by its HttpOnly session cookie, so no key is ever held by this code.
 */

/** An API error answer, with its code and (for schema violations) the issues by JSON pointer. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: readonly ValidationIssue[];
  constructor(status: number, code: string, message: string, issues: readonly ValidationIssue[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

/** GETs a JSON resource; throws {@link ApiError} on a non-2xx answer. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin", signal });
  return readAnswer<T>(res);
}

/**
 * A list answer as an array, whether the API sends the array itself or wraps it (`{ runs: [...] }`,
 * `{ items: [...] }`).
 */
export function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    for (const k of [key, "items", "data"]) if (Array.isArray(record[k])) return record[k] as T[];
  }
  return [];
}

/** `POST /api/v1/events`: 202 with the runs it started (200 when the id was seen before). */
export async function sendEvent(event: {
  readonly name: string;
  readonly payload: unknown;
  readonly id?: string;
}): Promise<SendEventResult> {
  const res = await fetch("/api/v1/events", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(event),
  });
  return readAnswer<SendEventResult>(res);
}

/** `POST /api/v1/runs/:id/redrive` or `/cancel`: the run after the action (409 when its status does not allow it). */
export async function controlRun(runId: string, action: "redrive" | "cancel"): Promise<Run> {
  const res = await fetch(`/api/v1/runs/${encodeURIComponent(runId)}/${action}`, {
    method: "POST",
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  return readAnswer<Run>(res);
}

async function readAnswer<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.ok) return body as T;
  const error = (body as Partial<ApiErrorBody> | undefined)?.error;
  const details = error?.details;
  const issues = issuesOf(details);
  throw new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? `${res.status} ${res.statusText}`, issues);
}

/** Validation issues in an error's `details`: the array itself, or its `errors` (`EVENT_VALIDATION`: `{ id, errors }`). */
export function issuesOf(details: unknown): ValidationIssue[] {
  if (Array.isArray(details)) return details as ValidationIssue[];
  const errors = (details as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) ? (errors as ValidationIssue[]) : [];
}
