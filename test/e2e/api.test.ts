import { describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { devServerForThisFile, ROOT } from "./helpers.ts";
import { sessionOf } from "../helpers/defined.ts";

/** The HTTP API of `stepjobs dev`: every bad input, the job and app views, the session cookie, live updates. */

const dev = devServerForThisFile();

const TUTORIAL = { message: "Hello via curl!", shouldFail: true };
const post = (rawBody: string, headers: Record<string, string> = {}) =>
  dev.request("POST", "/api/v1/events", { rawBody, headers: { "content-type": "application/json", ...headers } });

describe("bad input: each gets its status and error code, never a stack trace", () => {
  const cases: [string, number, string, () => ReturnType<typeof post>][] = [
    [
      "no Authorization header",
      401,
      "UNAUTHORIZED",
      () => post(JSON.stringify({ name: "my.event", payload: TUTORIAL }), { authorization: "" }),
    ],
    [
      "a wrong key",
      401,
      "UNAUTHORIZED",
      () => post(JSON.stringify({ name: "my.event", payload: TUTORIAL }), { authorization: "Bearer tr_dev_wrong" }),
    ],
    [
      "a body that is not JSON by content type",
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      () => post("name=my.event", { "content-type": "text/plain" }),
    ],
    [
      "a body over 256 KiB",
      413,
      "PAYLOAD_TOO_LARGE",
      () => post(JSON.stringify({ name: "my.event", payload: { message: "x".repeat(300 * 1024), shouldFail: false } })),
    ],
    [
      "a body of exactly 256 KiB, whose event is over a PutEvents entry once it has its id and timestamp",
      413,
      "EVENT_TOO_LARGE",
      // {"name":"my.event","payload":{"message":"","shouldFail":false}} is 63 bytes.
      () => post(JSON.stringify({ name: "my.event", payload: { message: "x".repeat(256 * 1024 - 63), shouldFail: false } })),
    ],
    ["malformed JSON", 400, "MALFORMED_JSON", () => post('{"name": "my.event", ')],
    [
      "a payload nested 5,000 levels deep (bad input that resending cannot fix, not a 503)",
      400,
      "INVALID_EVENT",
      () => post(`{"name":"my.event","payload":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`),
    ],
    [
      "an event name with an escape sequence",
      400,
      "INVALID_EVENT",
      () => post(JSON.stringify({ name: "my.event\u001b[2J", payload: TUTORIAL })),
    ],
    [
      "an event name with a line break",
      400,
      "INVALID_EVENT",
      () => post(JSON.stringify({ name: "my.event\r\nforged", payload: TUTORIAL })),
    ],
    ["an event name over 128 characters", 400, "INVALID_EVENT", () => post(JSON.stringify({ name: "e".repeat(129), payload: TUTORIAL }))],
    ["a JSON array", 400, "INVALID_EVENT", () => post("[1]")],
    ["no name", 400, "MISSING_NAME", () => post(JSON.stringify({ payload: TUTORIAL }))],
    ["a name that is not a string", 400, "MISSING_NAME", () => post(JSON.stringify({ name: 5, payload: TUTORIAL }))],
    [
      "a timestamp that is not a date",
      400,
      "INVALID_EVENT",
      () => post(JSON.stringify({ name: "my.event", payload: TUTORIAL, timestamp: "yesterday" })),
    ],
    ["an unknown run", 404, "NOT_FOUND", () => dev.request("GET", "/api/v1/runs/no-such-run")],
    ["an unknown event", 404, "NOT_FOUND", () => dev.request("GET", "/api/v1/events/no-such-event")],
    ["an unknown job", 404, "NOT_FOUND", () => dev.request("GET", "/api/v1/jobs/no-such-job")],
    ["an unknown API route", 404, "NOT_FOUND", () => dev.request("GET", "/api/v1/nothing")],
    ["a method a route does not have", 405, "METHOD_NOT_ALLOWED", () => dev.request("DELETE", "/api/v1/events")],
    ["an unknown run status filter", 400, "INVALID_QUERY", () => dev.request("GET", "/api/v1/runs?status=DONE")],
  ];
  it.each(cases)("%s -> %i %s", async (_name, status, code, send) => {
    const answer = await send();
    expect(answer.status).toBe(status);
    expect(answer.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(Object.keys(answer.body)).toEqual(["error"]);
    expect(Object.keys(answer.body.error)).toEqual(["code", "message"]);
    expect(answer.body.error.code).toBe(code);
    expect(answer.body.error.message).not.toMatch(/\n\s+at /);
  });

  it("a payload violating the schema -> 400 EVENT_VALIDATION with every violation's JSON pointer", async () => {
    const answer = await dev.send("my.event", { message: 5, extra: true }, "rejected-1");
    expect(answer.status).toBe(400);
    const errors = [
      { jobId: "my-first-workflow", path: "/shouldFail", message: "must have required property 'shouldFail'" },
      { jobId: "my-first-workflow", path: "/extra", message: "must NOT have additional properties: extra" },
      { jobId: "my-first-workflow", path: "/message", message: "must be string" },
    ];
    expect(answer.body).toEqual({
      error: {
        code: "EVENT_VALIDATION",
        message:
          "event \"my.event\" does not match its schema: /shouldFail must have required property 'shouldFail'; /extra must NOT have additional properties: extra; /message must be string",
        details: { id: "rejected-1", errors },
      },
    });
  });

  it("nothing was stored for the rejected requests except the rejected event's record", async () => {
    const events = await dev.request("GET", "/api/v1/events");
    expect(events.status).toBe(200);
    expect(events.body.events).toEqual([
      {
        id: "rejected-1",
        name: "my.event",
        source: "stepjobs",
        payload: { message: 5, extra: true },
        timestamp: expect.any(String),
        receivedAt: expect.any(String),
        status: "REJECTED",
        errors: expect.any(Array),
        runs: [],
      },
    ]);
    expect((await dev.request("GET", "/api/v1/events/rejected-1")).body.errors).toHaveLength(3);
    expect((await dev.request("GET", "/api/v1/runs")).body).toEqual({ runs: [], nextCursor: null });
  });
});

describe("jobs and app", () => {
  it("GET /api/v1/jobs/:id: trigger, schema, tasks with their retry policy, and the very ASL synth renders", async () => {
    const answer = await dev.request("GET", "/api/v1/jobs/my-first-workflow");
    expect(answer.status).toBe(200);
    const compiled = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.find((j) => j.plan.id === "my-first-workflow")!;
    expect(answer.body).toEqual({
      id: "my-first-workflow",
      name: "My First Workflow",
      version: "1.0.0",
      file: "src/jobs/my-first-workflow.ts",
      mode: "standard",
      trigger: {
        event: "my.event",
        source: null,
        schema: compiled.plan.trigger.schema,
        schedule: null,
        filter: null,
        pattern: { "detail-type": ["my.event"] },
      },
      tasks: [
        {
          id: "process-incoming-data",
          match: "literal",
          stateName: "process-incoming-data",
          maxAttempts: 3,
          retry: { ErrorEquals: ["States.ALL"], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1 },
          retryDescription: "3 attempts, 1 s apart",
        },
        {
          id: "send-confirmation",
          match: "literal",
          stateName: "send-confirmation",
          maxAttempts: 3,
          retry: compiled.plan.tasks[1]?.retry,
          retryDescription: "3 attempts, 1 s then x2 up to 60 s, full jitter (each wait from 0 up to that)",
        },
      ],
      asl: compiled.definition,
    });
  });

  it("GET /api/v1/jobs lists every job; GET /api/v1/app names the client", async () => {
    const jobs = await dev.request("GET", "/api/v1/jobs");
    expect(jobs.body.jobs.map((j: any) => j.id)).toEqual(["charge-card", "my-first-workflow", "priority-workflow", "restart-safe"]);
    expect((await dev.request("GET", "/api/v1/app")).body).toEqual({ id: "my-first-project", env: "dev" });
  });
});

describe("run and event lists come a page at a time", () => {
  /** Follows `nextCursor` from the first page of `path` (with `limit`) to the last. */
  async function pages(path: string, key: "runs" | "events", limit: number): Promise<string[][]> {
    const seen: string[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page: { status: number; body: any } = await dev.request("GET", `${path}${path.includes("?") ? "&" : "?"}${query}`);
      expect(page.status).toBe(200);
      seen.push(page.body[key].map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    return seen;
  }

  it("GET /api/v1/runs and /api/v1/events answer nextCursor while more follow, and null on the last page", async () => {
    for (let i = 0; i < 5; i++)
      expect((await dev.send("my.event", { message: `page ${i}`, shouldFail: false }, `page-${i}`)).status).toBe(202);
    for (const [path, key] of [
      ["/api/v1/runs?jobId=my-first-workflow", "runs"],
      ["/api/v1/events?name=my.event", "events"],
    ] as const) {
      const everything = (await dev.request("GET", `${path}&limit=1000`)).body;
      expect(everything.nextCursor).toBeNull();
      const all = everything[key].map((item: { id: string }) => item.id);
      expect(all.length).toBeGreaterThanOrEqual(5);
      const paged = await pages(path, key, 2);
      expect(paged.flat()).toEqual(all);
      expect(paged.slice(0, -1).map((p) => p.length)).toEqual(Array(paged.length - 1).fill(2));
    }
  });

  it("a cursor the server did not give is a 400 naming it", async () => {
    const answer = await dev.request("GET", "/api/v1/runs?cursor=bm90LWEtY3Vyc29y");
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: {
        code: "INVALID_QUERY",
        message: "cursor is not one this server gave for runs: pass the nextCursor of the previous page as it was",
      },
    });
  });
});

describe("the dashboard's session", () => {
  it("the page sets an HttpOnly SameSite=Strict cookie that authorizes the API without the key", async () => {
    const page = await fetch(`${dev.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const cookie = page.headers.get("set-cookie");
    expect(cookie).toMatch(/^stepjobs_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(await page.text()).not.toContain(dev.apiKey);
    const session = sessionOf(page);
    const withCookie = await dev.request("GET", "/api/v1/app", { headers: { authorization: "", cookie: session } });
    expect(withCookie.status).toBe(200);
    const forged = await dev.request("GET", "/api/v1/app", { headers: { authorization: "", cookie: "stepjobs_session=forged" } });
    expect(forged.status).toBe(401);
  });
});

describe("live updates", () => {
  it("GET /api/v1/stream emits an event change and run changes as server-sent events", async () => {
    const controller = new AbortController();
    const stream = await fetch(`${dev.url}/api/v1/stream`, {
      headers: { authorization: `Bearer ${dev.apiKey}` },
      signal: controller.signal,
    });
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    const reader = stream.body!.getReader();
    const sent = await dev.send("my.event", { message: "live", shouldFail: false }, "live-1");
    expect(sent.status).toBe(202);
    const wanted = [`data: {"type":"event","id":"live-1"}`, `data: {"type":"run","id":"my-first-workflow--live-1"}`];
    let text = "";
    while (!wanted.every((w) => text.includes(w))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(wanted.filter((w) => text.includes(w))).toEqual(wanted);
  });
});

describe("input hygiene", () => {
  it("the deep payload's 400 names the problem, and the terminal has no internal error", () => {
    expect(dev.output).not.toContain("internal error");
  });

  it("an event id reused with another name or payload answers the original run (200) and says the body differed", async () => {
    const first = await dev.send("my.event", { message: "first", shouldFail: false }, "reused-id");
    expect(first.status).toBe(202);
    const again = await dev.send("priority.event", { message: "second", shouldFail: false }, "reused-id");
    expect(again.status).toBe(200);
    expect(again.body).toEqual({
      id: "reused-id",
      runs: first.body.runs,
      warning: {
        code: "DUPLICATE_ID_DIFFERENT_BODY",
        message:
          'event id "reused-id" was already received with a different name and payload; this request was ignored and the runs are the first event\'s: send a new id for a new event',
        differs: ["name", "payload"],
      },
    });
    // The same body again is a plain duplicate: no warning.
    expect((await dev.send("my.event", { message: "first", shouldFail: false }, "reused-id")).body).toEqual(first.body);
  });

  it("control characters from a payload are escaped in the terminal (a log line that prints the payload's message)", async () => {
    const message = "evil\u001b[2J\u001b[31mred\r\nforged line\u009b";
    const sent = await dev.send("my.event", { message, shouldFail: false }, "escapes-1");
    await dev.waitForRun(sent.body.runs[0].id);
    await dev.waitForOutput(/Processing data: evil/);
    const escaped = "evil\\u001b[2J\\u001b[31mred\\r\\nforged line\\u009b";
    // As the log's message, and inside the payload the job logs as data (JSON escapes C0 only; C1 is escaped too).
    expect(dev.output).toContain(`Processing data: ${escaped}`);
    expect(dev.output).toContain(`payload {"message":"${escaped}","shouldFail":false}`);
    expect([dev.output.includes("\u001b"), dev.output.includes("\u009b")]).toEqual([false, false]);
  });
});
