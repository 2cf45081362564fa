import { describe, expect, it } from "vitest";
import { devServerForThisFile, runCli } from "../e2e/helpers.ts";

/**
 * Bad input beyond test/e2e/api.test.ts's table (which covers no/wrong key, 415, 413, malformed JSON, arrays, a
 * missing or non-string name, bad timestamps, unknown routes and methods): every row gets an exact status, code
 * and message, the body never carries a stack trace, and the dev terminal prints none either.
 */
const dev = devServerForThisFile();

const TUTORIAL = { message: "Hello", shouldFail: false };
const post = (body: unknown, headers: Record<string, string> = {}) =>
  dev.request("POST", "/api/v1/events", {
    rawBody: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });
const STACK_TRACE = /\n\s+at /;

type Row = [string, () => Promise<{ status: number; body: any }>, number, string, string];

describe("bad input: exact status, code and message; no stack trace anywhere", () => {
  const rows: Row[] = [
    ["an empty body", () => post(""), 400, "MALFORMED_JSON", 'the request body is empty; send a JSON object { "name", "payload" }'],
    ["no payload (the tutorial schema needs an object)", () => post({ name: "my.event" }), 400, "EVENT_VALIDATION", ""],
    ["a missing property", () => post({ name: "my.event", payload: { shouldFail: true } }), 400, "EVENT_VALIDATION", ""],
    [
      "a property of the wrong type",
      () => post({ name: "my.event", payload: { message: 42, shouldFail: true } }),
      400,
      "EVENT_VALIDATION",
      "",
    ],
    [
      "an extra property (additionalProperties: false)",
      () => post({ name: "my.event", payload: { ...TUTORIAL, extra: 1 } }),
      400,
      "EVENT_VALIDATION",
      "",
    ],
    ["an empty bearer token", () => post({ name: "my.event", payload: TUTORIAL }, { authorization: "Bearer " }), 401, "UNAUTHORIZED", ""],
    [
      "the key with one character changed",
      () => post({ name: "my.event", payload: TUTORIAL }, { authorization: `Bearer ${flip(dev.apiKey)}` }),
      401,
      "UNAUTHORIZED",
      "",
    ],
    [
      "path traversal in a run id",
      () => dev.request("GET", "/api/v1/runs/..%2F..%2Fetc%2Fpasswd"),
      404,
      "NOT_FOUND",
      'no run with id "../../etc/passwd"',
    ],
    [
      "a dot-dot event id (the URL normalizes to /api/v1/)",
      () => dev.request("GET", "/api/v1/events/%2e%2e"),
      404,
      "NOT_FOUND",
      "no API route /api/v1/",
    ],
    [
      "SQL-like query injection in a filter",
      () => dev.request("GET", "/api/v1/runs?status=RUNNING%27%20OR%201=1"),
      400,
      "INVALID_QUERY",
      "status must be one of RUNNING, SUCCEEDED, FAILED, ABORTED",
    ],
    [
      "an event id with a CRLF (header injection)",
      () => post({ name: "my.event", id: "a\r\nSet-Cookie: x=1", payload: TUTORIAL }),
      400,
      "INVALID_EVENT",
      "",
    ],
  ];

  it.each(rows)("%s", async (_name, send, status, code, message) => {
    const before = dev.output.length;
    const answer = await send();
    expect([answer.status, answer.body.error.code]).toEqual([status, code]);
    if (message) expect(answer.body.error.message).toBe(message);
    expect(typeof answer.body.error.message).toBe("string");
    expect(JSON.stringify(answer.body)).not.toMatch(STACK_TRACE);
    expect(dev.output.slice(before)).not.toMatch(STACK_TRACE);
  });

  it("schema violations name each problem with its JSON pointer", async () => {
    const answer = await post({ name: "my.event", payload: { message: 42, extra: 1 } });
    expect(answer.body.error.details.errors).toEqual([
      { jobId: "my-first-workflow", path: "/shouldFail", message: "must have required property 'shouldFail'" },
      { jobId: "my-first-workflow", path: "/extra", message: "must NOT have additional properties: extra" },
      { jobId: "my-first-workflow", path: "/message", message: "must be string" },
    ]);
  });

  it("an unknown event name is accepted and starts nothing: 202 with runs: []", async () => {
    const answer = await post({ name: "nobody.listens", id: "unknown-1", payload: {} });
    expect([answer.status, answer.body]).toEqual([202, { id: "unknown-1", runs: [] }]);
  });

  it("a CRLF in a header value never reaches a response header", async () => {
    const answer = await dev.request("GET", "/api/v1/runs/x%0d%0aSet-Cookie:%20injected=1");
    expect(answer.status).toBe(404);
    expect(answer.headers.get("set-cookie")).toBeNull();
  });

  it("stepjobs send with a payload that is not JSON: exit 2 and one line", async () => {
    const { code, stderr } = await runCli(
      ["send", "my.event", "{nope"],
      { TRIGGER_API_URL: dev.url, TRIGGER_API_KEY: dev.apiKey },
      dev.root,
    );
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toMatch(/^stepjobs send: the payload is not valid JSON: /);
    expect(stderr).not.toMatch(STACK_TRACE);
  });
});

describe("a burst of distinct events", () => {
  // The 10,000 (about 25 s here since the store runs on its own thread); the soak sends 50,000.
  const COUNT = process.env.STEPJOBS_SOAK === "1" ? 50_000 : 10_000;
  it(`${COUNT} events, 50 in flight: every one answered 202 and stored, none lost`, async () => {
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < COUNT) {
        const i = next++;
        const answer = await post({ name: "burst.event", id: `burst-${i}`, payload: { i } });
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    expect(Object.fromEntries(statuses)).toEqual({ 202: COUNT });
    // Every accepted id is stored (read back one by one, 50 at a time).
    let stored = 0;
    next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < COUNT) {
          const answer = await dev.request("GET", `/api/v1/events/burst-${next++}`);
          if (answer.status === 200 && answer.body.name === "burst.event") stored++;
        }
      }),
    );
    expect(stored).toBe(COUNT);
  }, 600_000);
});

/** The key with its last character changed (same length: the compare must still say no, in constant time). */
function flip(key: string): string {
  const last = key.at(-1) === "a" ? "b" : "a";
  return key.slice(0, -1) + last;
}
