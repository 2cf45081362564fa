import {
  ApiRequestError,
  ApiUnreachableError,
  EventValidationError,
  SendEventsError,
  StepJobsError,
  type ValidationIssue,
} from "./errors.ts";

/**
 * `client.sendEvent` / `client.sendEvents`: application code (an API route, a script) sending events to the stepjobs
 * API, `POST <apiUrl>/api/v1/events` with `Authorization: Bearer <apiKey>`, locally (`stepjobs dev`) or in AWS (the
 * stack's function URL). The SDK is bundled into Lambda, so this is the runtime's global `fetch`, no HTTP library.
 * A retry is safe because the event id is fixed before the first attempt: ingest records an id once and derives the
 * run ids from it, so a resend never starts a second run.
 */

/** An event to send, as Trigger.dev v2's `SendEvent`. */
export interface SendEvent {
  /** The event name (EventBridge `detail-type`) job triggers match. */
  readonly name: string;
  /** Validated against the schema of each job whose trigger (and filter) matches the event. */
  readonly payload?: unknown;
  /** The idempotency key: a second send with this id starts nothing new. @default a random UUID, fixed before the first attempt */
  readonly id?: string;
  /** EventBridge `source`, which `client.on(..., { source })` matches. @default "stepjobs" */
  readonly source?: string;
  /** When the event happened. @default the time the API receives it */
  readonly timestamp?: Date | string;
}

/** What the API answered: the event id and the runs it started (their ids are derived from the event id). */
export interface SendEventResult {
  readonly id: string;
  readonly runs: readonly { readonly id: string; readonly jobId: string }[];
  /** The id was already received with a different body: this event was ignored; the runs are the first one's. */
  readonly warning?: { readonly code: string; readonly message: string };
}

/** Where and how to send: the API's base URL and key, and the retry budget. */
export interface EventApi {
  readonly url: string;
  readonly key: string;
  /** @default SEND_RETRY */
  readonly retry?: SendRetryPolicy;
}

/** How `sendEvent` retries a 5xx, a 429 or a failed connection (with the same event id). */
export interface SendRetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Wait before the first retry; doubled for each next one, with up to half of it taken off at random (jitter). */
  readonly delayInMs: number;
  /** Give up on one attempt after this long (then retry). */
  readonly timeoutInMs: number;
}

/**
 * 4 attempts about 0.25, 0.5 and 1 s apart: enough for a throttled function URL (429, the API's reserved concurrency)
 * or a `stepjobs dev` restart, short enough for a request handler that waits on it.
 */
export const SEND_RETRY: SendRetryPolicy = { attempts: 4, delayInMs: 250, timeoutInMs: 30_000 };

/** The API's base URL and key from the client's options, else `TRIGGER_API_URL` / `TRIGGER_API_KEY` (read at send time). */
export function eventApiFrom(options: { readonly apiUrl?: string; readonly apiKey?: string }): EventApi {
  const env = globalThis.process?.env ?? {};
  const key = options.apiKey ?? env.TRIGGER_API_KEY;
  if (!key) {
    throw new StepJobsError(
      "MISSING_API_KEY",
      "no API key to send events with: set TRIGGER_API_KEY (stepjobs dev writes it to .env) or pass apiKey to new TriggerClient({ ... })",
    );
  }
  return { url: options.apiUrl ?? env.TRIGGER_API_URL ?? "http://localhost:8080", key };
}

/** Sends one event; resolves with the API's answer, or throws the API's refusal (see {@link postEvent}). */
export async function sendEventTo(api: EventApi, event: SendEvent): Promise<SendEventResult> {
  return postEvent(api, withId(event));
}

/**
 * Sends events one after another, in order (each is one request; the API takes one event per request). Every id is
 * fixed first, so the error of a failed event lets the caller resend exactly the rest.
 */
export async function sendEventsTo(api: EventApi, events: readonly SendEvent[]): Promise<SendEventResult[]> {
  const identified = events.map(withId);
  const sent: SendEventResult[] = [];
  for (const [index, event] of identified.entries()) {
    try {
      sent.push(await postEvent(api, event));
    } catch (error) {
      throw new SendEventsError(index, identified.length, event.id, [...sent], error as Error);
    }
  }
  return sent;
}

function withId(event: SendEvent): SendEvent & { readonly id: string } {
  return { ...event, id: event.id ?? globalThis.crypto.randomUUID() };
}

/** One attempt's outcome: an answer to judge, or a failure to retry. */
type Attempt =
  { readonly kind: "answer"; readonly status: number; readonly text: string } | { readonly kind: "failed"; readonly error: Error };

/**
 * POSTs the event, retrying a 5xx, a 429 and a failed connection with the same id. A 2xx resolves with the API's
 * `{ id, runs }`; a 4xx throws at once: `EVENT_VALIDATION` as {@link EventValidationError} with each issue's JSON
 * pointer, anything else as {@link ApiRequestError} with the API's code and message. Out of retries: the last
 * answer as an ApiRequestError, or {@link ApiUnreachableError} naming the URL.
 */
export async function postEvent(api: EventApi, event: SendEvent & { readonly id: string }): Promise<SendEventResult> {
  const url = eventsUrl(api.url);
  const policy = api.retry ?? SEND_RETRY;
  const body = JSON.stringify({
    name: event.name,
    payload: event.payload,
    id: event.id,
    ...(event.source === undefined ? {} : { source: event.source }),
    ...(event.timestamp === undefined
      ? {}
      : { timestamp: event.timestamp instanceof Date ? event.timestamp.toISOString() : event.timestamp }),
  });
  let last: Attempt | undefined;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    if (attempt > 1) await sleep(backoff(policy, attempt));
    last = await exchange(url, api.key, body, policy.timeoutInMs);
    if (last.kind === "answer" && !retryable(last.status)) return judge(last, url, event);
  }
  const resend = `sending it again with the same id ("${event.id}") starts no second run`;
  if (last!.kind === "failed") {
    throw new ApiUnreachableError(
      url,
      `could not reach the stepjobs API at ${url} (${describe(last!.error)}) in ${policy.attempts} attempts: is it running (stepjobs dev), and is TRIGGER_API_URL right? ${resend}`,
      { cause: last!.error },
    );
  }
  const { code, message, details } = apiError(last!.status, last!.text, url);
  throw new ApiRequestError(
    last!.status,
    code,
    `the stepjobs API at ${url} failed ${policy.attempts} times, last with ${last!.status} ${code}: ${message}; ${resend}`,
    url,
    details,
  );
}

/** `<base>/api/v1/events`, whether the base ends in a slash (a function URL) or not, with or without a path. */
export function eventsUrl(base: string): string {
  return new URL("api/v1/events", base.endsWith("/") ? base : `${base}/`).href;
}

async function exchange(url: string, key: string, body: string, timeoutInMs: number): Promise<Attempt> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(timeoutInMs),
    });
    return { kind: "answer", status: response.status, text: await response.text() };
  } catch (error) {
    return { kind: "failed", error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** Server errors and throttling may pass; a 4xx will be refused again. */
function retryable(status: number): boolean {
  return status >= 500 || status === 429;
}

function backoff(policy: SendRetryPolicy, attempt: number): number {
  const delay = policy.delayInMs * 2 ** (attempt - 2);
  return delay / 2 + Math.random() * (delay / 2);
}

function judge(answer: { status: number; text: string }, url: string, event: SendEvent): SendEventResult {
  if (answer.status >= 200 && answer.status < 300) {
    const result = parse(answer.text) as SendEventResult | undefined;
    if (typeof result?.id === "string" && Array.isArray(result.runs)) return result;
    throw new ApiRequestError(
      answer.status,
      "BAD_RESPONSE",
      `the server at ${url} answered ${answer.status} without an event id: is it a stepjobs API?`,
      url,
    );
  }
  const { code, message, details } = apiError(answer.status, answer.text, url);
  const issues = (details as { errors?: ValidationIssue[] } | undefined)?.errors;
  if (code === "EVENT_VALIDATION" && Array.isArray(issues)) throw new EventValidationError(event.name, issues);
  throw new ApiRequestError(
    answer.status,
    code,
    `the stepjobs API at ${url} refused the event (${answer.status} ${code}): ${message}`,
    url,
    details,
  );
}

/** The API's `{ error: { code, message, details } }`, or what a non-stepjobs answer amounts to. */
function apiError(status: number, text: string, url: string): { code: string; message: string; details?: unknown } {
  const error = (parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (typeof error?.code === "string" && typeof error.message === "string") {
    return { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) };
  }
  return {
    code: `HTTP_${status}`,
    message: `the server at ${url} answered ${status} without a stepjobs error: is TRIGGER_API_URL a stepjobs API?`,
  };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The cause of a failed fetch: Node's `fetch failed` hides it in `cause` (ECONNREFUSED, ENOTFOUND, ...). */
function describe(error: Error): string {
  const cause = error.cause as { code?: string; message?: string } | undefined;
  if (error.name === "TimeoutError") return "no answer in time";
  return cause?.code ?? cause?.message ?? error.message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
