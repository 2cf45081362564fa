import type { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { LambdaFunctionURLEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createApiHandler } from "../../lambdas/api.ts";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { compileValidators } from "../../lib/ingest/validate.ts";
import { ROOT } from "../helpers/load-job.ts";

const plans = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.map((j) => j.plan);
const KEY = "sk_test_0123456789abcdef";

/** Records PutEvents entries; `failEntry` answers with a per-entry failure as EventBridge does. */
function recordingEventBridge(failEntry = false) {
  const entries: unknown[] = [];
  return {
    entries,
    async send(command: PutEventsCommand) {
      entries.push(...(command.input.Entries ?? []));
      return failEntry
        ? { FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }] }
        : { FailedEntryCount: 0, Entries: [{ EventId: "eb-1" }] };
    },
  };
}

function handler(eventBridge = recordingEventBridge()) {
  return createApiHandler({
    jobs: plans,
    validators: compileValidators(plans),
    busName: "stepjobs-bus",
    apiKey: async () => KEY,
    eventBridge,
    now: () => new Date("2026-11-25T10:00:00.000Z"),
    newId: () => "01M88GENERATED",
  });
}

/** A Function URL request (payload format 2.0) for POST /api/v1/events. */
function request(
  body: string,
  headers: Record<string, string> = {},
  overrides: Partial<LambdaFunctionURLEvent> = {},
): LambdaFunctionURLEvent {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/api/v1/events",
    rawQueryString: "",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
    requestContext: { http: { method: "POST", path: "/api/v1/events" } } as LambdaFunctionURLEvent["requestContext"],
    body,
    isBase64Encoded: false,
    ...overrides,
  };
}

const tutorial = JSON.stringify({ name: "my.event", payload: { message: "Hello via curl!", shouldFail: true } });
const bodyOf = (r: { body?: string }) => JSON.parse(r.body ?? "null");

describe("API handler (Function URL)", () => {
  it("202 with the event id and its deterministic run ids; one PutEvents entry on the app's bus", async () => {
    const eventBridge = recordingEventBridge();
    const response = await handler(eventBridge)(request(tutorial));
    expect(response.statusCode).toBe(202);
    expect(bodyOf(response)).toEqual({
      id: "01M88GENERATED",
      runs: [{ id: "my-first-workflow--01M88GENERATED", jobId: "my-first-workflow" }],
    });
    expect(eventBridge.entries).toEqual([
      {
        EventBusName: "stepjobs-bus",
        Source: "stepjobs",
        DetailType: "my.event",
        Detail: JSON.stringify({
          id: "01M88GENERATED",
          timestamp: "2026-11-25T10:00:00.000Z",
          payload: { message: "Hello via curl!", shouldFail: true },
        }),
        Time: new Date("2026-11-25T10:00:00.000Z"),
      },
    ]);
  });

  it("takes the key under the bearer scheme written in any case, as stepjobs dev does (one check: lib/ingest/api-key.ts)", async () => {
    const eventBridge = recordingEventBridge();
    const response = await handler(eventBridge)(request(tutorial, { authorization: `bearer  ${KEY}` }));
    expect(response.statusCode).toBe(202);
  });

  it.each([
    ["no Authorization header", { authorization: "" }, 401, "UNAUTHORIZED"],
    ["a key differing in one character", { authorization: `Bearer ${KEY.slice(0, -1)}0` }, 401, "UNAUTHORIZED"],
    ["a non-JSON content type", { "content-type": "text/plain" }, 415, "UNSUPPORTED_MEDIA_TYPE"],
  ])("%s -> %i %s, nothing sent", async (_name, headers, status, code) => {
    const eventBridge = recordingEventBridge();
    const response = await handler(eventBridge)(request(tutorial, headers));
    expect([response.statusCode, bodyOf(response).error.code]).toEqual([status, code]);
    expect(eventBridge.entries).toEqual([]);
  });

  it.each([
    ["malformed JSON", "{", 400, "MALFORMED_JSON", "request body is not valid JSON: Expected property name or '}' in JSON at position 1"],
    ["a missing name", JSON.stringify({ payload: {} }), 400, "MISSING_NAME", 'event "name" is required and must be a non-empty string'],
    [
      "a body over 256 KiB",
      JSON.stringify({ name: "my.event", payload: { message: "x".repeat(262_144), shouldFail: false } }),
      413,
      "PAYLOAD_TOO_LARGE",
      "request body is 262207 bytes; the limit is 262144",
    ],
    [
      "a payload nested 5,000 levels deep (bad input, not a retryable failure)",
      `{"name":"my.event","payload":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`,
      400,
      "INVALID_EVENT",
      "event payload nests 5000 levels deep; at most 512 are accepted (EventBridge processes JSON up to 1,000 levels, and deeper data never fits a run)",
    ],
    [
      "an event name with a control character",
      JSON.stringify({ name: "my.event\u001b[2J", payload: {} }),
      400,
      "INVALID_EVENT",
      "event name must be a string of 1 to 128 characters, without control characters",
    ],
    [
      "a payload violating the schema",
      JSON.stringify({ name: "my.event", payload: { message: "hi" } }),
      400,
      "EVENT_VALIDATION",
      "event \"my.event\" does not match its schema: /shouldFail must have required property 'shouldFail'",
    ],
  ])("%s: status, code and a one-line message", async (_name, body, status, code, message) => {
    const eventBridge = recordingEventBridge();
    const response = await handler(eventBridge)(request(body));
    expect(response.statusCode).toBe(status);
    expect(bodyOf(response).error.code).toBe(code);
    expect(bodyOf(response).error.message).toBe(message);
    expect(eventBridge.entries).toEqual([]);
  });

  it("a PutEvents entry failure is a 503 the client can retry, never a silent 202", async () => {
    const response = await handler(recordingEventBridge(true))(
      request(JSON.stringify({ name: "my.event", id: "evt-9", payload: { message: "m", shouldFail: false } })),
    );
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toEqual({
      error: {
        code: "PUT_EVENTS_FAILED",
        message: "EventBridge did not accept the event (ThrottlingException: Rate exceeded); retry with the same id",
        details: { id: "evt-9" },
      },
    });
  });

  it("an event over the 256 KiB PutEvents entry limit is a 413 naming its size, and nothing is put on the bus", async () => {
    const eventBridge = recordingEventBridge();
    // {"name":"my.event","payload":{"message":"","shouldFail":false}} is 63 bytes: the body is exactly 256 KiB.
    const body = JSON.stringify({ name: "my.event", payload: { message: "x".repeat(256 * 1024 - 63), shouldFail: false } });
    const response = await handler(eventBridge)(request(body));
    expect(response.statusCode).toBe(413);
    // 14 (Time) + "stepjobs" + "my.event" + the detail {"id":"01M88GENERATED","timestamp":"...","payload":{...}}.
    expect(bodyOf(response)).toEqual({
      error: {
        code: "EVENT_TOO_LARGE",
        message:
          "the event as an EventBridge entry would be 262217 bytes; EventBridge's PutEvents entry limit is 262144 bytes: send a reference to large data (an S3 key) instead",
      },
    });
    expect(eventBridge.entries).toEqual([]);
  });

  it("other paths and methods are 404 and 405", async () => {
    const h = handler();
    expect((await h(request(tutorial, {}, { rawPath: "/api/v1/runs" }))).statusCode).toBe(404);
    const get = request(
      tutorial,
      {},
      { requestContext: { http: { method: "GET", path: "/api/v1/events" } } as LambdaFunctionURLEvent["requestContext"] },
    );
    expect((await h(get)).statusCode).toBe(405);
  });
});
