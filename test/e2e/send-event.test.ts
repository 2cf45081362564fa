import http from "node:http";
import net from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TriggerClient } from "../../lib/sdk/index.ts";
import { ApiRequestError, ApiUnreachableError, EventValidationError, SendEventsError } from "../../lib/sdk/errors.ts";
import { devServerForThisFile, freePort, ROOT } from "./helpers.ts";

/**
 * Trigger filters and `client.sendEvent` against a real `stepjobs dev` over HTTP, with the filter fixtures
 * (test/fixtures/filters): big-orders (`client.on`, paid orders over 100) and eu-vat (`eventTrigger`, regions "eu-*").
 */
const dev = devServerForThisFile(path.join(ROOT, "test/fixtures/filters"));

describe("trigger filters through the HTTP API", () => {
  it("an event starts only the jobs whose filter matches; each run finishes", async () => {
    const big = await dev.send("order.created", { orderId: "o1", status: "paid", amount: 250, region: "us-east" }, "f-1");
    expect([big.status, big.body]).toEqual([202, { id: "f-1", runs: [{ id: "big-orders--f-1", jobId: "big-orders" }] }]);
    expect((await dev.waitForRun("big-orders--f-1")).output).toEqual({ reviewed: "o1", amount: 250 });

    const both = await dev.send("order.created", { orderId: "o2", status: "paid", amount: 900, region: "eu-north", vatId: "SE1" }, "f-2");
    expect(both.body.runs).toEqual([
      { id: "big-orders--f-2", jobId: "big-orders" },
      { id: "eu-vat--f-2", jobId: "eu-vat" },
    ]);
    expect((await dev.waitForRun("eu-vat--f-2")).output).toEqual({ orderId: "o2", vatId: "SE1" });
  });

  it("an event no filter matches starts no run and is still recorded", async () => {
    const answer = await dev.send("order.created", { orderId: "o3", status: "paid", amount: 50, region: "us-east" }, "f-3");
    expect([answer.status, answer.body]).toEqual([202, { id: "f-3", runs: [] }]);
    const event = await dev.request("GET", "/api/v1/events/f-3");
    expect([event.status, event.body.status, event.body.runs]).toEqual([200, "ACCEPTED", []]);
    const runs = await dev.request("GET", "/api/v1/runs?jobId=big-orders");
    expect(runs.body.runs.map((r: { id: string }) => r.id)).not.toContain("big-orders--f-3");
  });

  it("filter first, then schema: a job whose filter misses does not reject the event; one whose filter matches does", async () => {
    // big-orders wants an integer amount and an order id; its filter (paid, over 100) leaves this refund out.
    const refund = await dev.send("order.created", { status: "refunded", amount: "n/a" }, "f-4");
    expect([refund.status, refund.body.runs]).toEqual([202, []]);
    const noVat = await dev.send("order.created", { orderId: "o5", status: "pending", region: "eu-west" }, "f-5");
    expect([noVat.status, noVat.body.error.code, noVat.body.error.details.errors]).toEqual([
      400,
      "EVENT_VALIDATION",
      [{ jobId: "eu-vat", path: "/vatId", message: "must have required property 'vatId'" }],
    ]);
  });

  it("the job view shows the filter as written and the rule's EventBridge pattern", async () => {
    const job = await dev.request("GET", "/api/v1/jobs/big-orders");
    expect([job.body.trigger.filter, job.body.trigger.pattern]).toEqual([
      { status: ["paid"], amount: [{ $gt: 100 }] },
      { "detail-type": ["order.created"], detail: { payload: { status: ["paid"], amount: [{ numeric: [">", 100] }] } } },
    ]);
  });
});

describe("client.sendEvent against stepjobs dev", () => {
  const client = () => new TriggerClient({ id: "app", apiUrl: dev.url, apiKey: dev.apiKey });

  it("sends an event and answers its id and the runs it started", async () => {
    const result = await client().sendEvent({ name: "order.created", id: "s-1", payload: { orderId: "s1", status: "paid", amount: 300 } });
    expect(result).toEqual({ id: "s-1", runs: [{ id: "big-orders--s-1", jobId: "big-orders" }] });
    expect((await dev.waitForRun("big-orders--s-1")).status).toBe("SUCCEEDED");
  });

  it("without an id, one is made (the API's answer carries it), so the send can be retried safely", async () => {
    const result = await client().sendEvent({ name: "order.created", payload: { orderId: "s2", status: "paid", amount: 101 } });
    expect(result.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(result.runs).toEqual([{ id: `big-orders--${result.id}`, jobId: "big-orders" }]);
  });

  it("reads TRIGGER_API_URL and TRIGGER_API_KEY when the client is given neither", async () => {
    const saved = { url: process.env.TRIGGER_API_URL, key: process.env.TRIGGER_API_KEY };
    process.env.TRIGGER_API_URL = dev.url;
    process.env.TRIGGER_API_KEY = dev.apiKey;
    try {
      const result = await new TriggerClient({ id: "app" }).sendEvent({ name: "nobody.listens", id: "s-env", payload: {} });
      expect(result).toEqual({ id: "s-env", runs: [] });
    } finally {
      for (const [name, value] of [
        ["TRIGGER_API_URL", saved.url],
        ["TRIGGER_API_KEY", saved.key],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("a payload a listening job's schema refuses: EventValidationError with each issue's JSON pointer", async () => {
    const error = await client()
      .sendEvent({ name: "order.created", payload: { orderId: "s3", status: "paid", amount: 300.5 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues).toEqual([{ jobId: "big-orders", path: "/amount", message: "must be integer" }]);
    expect((error as Error).message).toBe('event "order.created" does not match its schema: /amount must be integer (job big-orders)');
  });

  it("a wrong key: ApiRequestError with the API's status, code and message", async () => {
    const error = await new TriggerClient({ id: "app", apiUrl: dev.url, apiKey: "wrong" })
      .sendEvent({ name: "order.created", payload: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiRequestError);
    expect([(error as ApiRequestError).status, (error as ApiRequestError).code, (error as Error).message]).toEqual([
      401,
      "UNAUTHORIZED",
      `the stepjobs API at ${dev.url}/api/v1/events refused the event (401 UNAUTHORIZED): missing or wrong API key: send Authorization: Bearer <TRIGGER_API_KEY> (see .env)`,
    ]);
  });

  it("an answer lost to a 503 is retried with the same id: the API dedupes it, so there is one run", async () => {
    const proxy = await losingProxy(dev.url, 1);
    try {
      const result = await new TriggerClient({ id: "app", apiUrl: proxy.url, apiKey: dev.apiKey }).sendEvent({
        name: "order.created",
        payload: { orderId: "s4", status: "paid", amount: 500 },
      });
      // The first request reached dev and started the run; its answer was replaced by a 503; the retry got dev's
      // answer for a known id: the same runs.
      expect(proxy.ids).toEqual([result.id, result.id]);
      expect(result.runs).toEqual([{ id: `big-orders--${result.id}`, jobId: "big-orders" }]);
      const runs = await dev.request("GET", "/api/v1/runs?jobId=big-orders&limit=100");
      expect(runs.body.runs.filter((r: { id: string }) => r.id === `big-orders--${result.id}`)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it("a 503 that lasts: ApiRequestError with the API's message after 4 attempts, saying a resend is safe", async () => {
    const proxy = await losingProxy(dev.url, Infinity);
    try {
      const error = await new TriggerClient({ id: "app", apiUrl: proxy.url, apiKey: dev.apiKey })
        .sendEvent({ name: "nobody.listens", id: "s-5", payload: {} })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiRequestError);
      expect([(error as ApiRequestError).status, (error as ApiRequestError).code, (error as Error).message]).toEqual([
        503,
        "UNAVAILABLE",
        `the stepjobs API at ${proxy.url}/api/v1/events failed 4 times, last with 503 UNAVAILABLE: the answer was lost on the way; sending it again with the same id ("s-5") starts no second run`,
      ]);
      expect(proxy.ids).toEqual(["s-5", "s-5", "s-5", "s-5"]);
    } finally {
      await proxy.close();
    }
  });

  it("no server: ApiUnreachableError naming the URL and the cause, after 4 attempts", async () => {
    const hangUp = await hangingUpServer();
    const closedPort = await freePort();
    try {
      const [reset, refused] = await Promise.all(
        [hangUp.url, `http://127.0.0.1:${closedPort}`].map((apiUrl) =>
          new TriggerClient({ id: "app", apiUrl, apiKey: "k" }).sendEvent({ name: "e", id: "s-6", payload: {} }).catch((e: unknown) => e),
        ),
      );
      expect(hangUp.connections).toBe(4);
      expect(reset).toBeInstanceOf(ApiUnreachableError);
      expect(refused).toBeInstanceOf(ApiUnreachableError);
      expect((refused as Error).message).toBe(
        `could not reach the stepjobs API at http://127.0.0.1:${closedPort}/api/v1/events (ECONNREFUSED) in 4 attempts: is it running (stepjobs dev), and is TRIGGER_API_URL right? sending it again with the same id ("s-6") starts no second run`,
      );
    } finally {
      await hangUp.close();
    }
  });

  it("sendEvents sends in order; at a refused event it stops, saying which were sent", async () => {
    const sent = await client().sendEvents([
      { name: "order.created", id: "m-1", payload: { orderId: "m1", status: "paid", amount: 200 } },
      { name: "order.created", id: "m-2", payload: { orderId: "m2", region: "eu-south", vatId: "IT1" } },
    ]);
    expect(sent).toEqual([
      { id: "m-1", runs: [{ id: "big-orders--m-1", jobId: "big-orders" }] },
      { id: "m-2", runs: [{ id: "eu-vat--m-2", jobId: "eu-vat" }] },
    ]);
    const error = await client()
      .sendEvents([
        { name: "nobody.listens", id: "m-3", payload: {} },
        { name: "order.created", id: "m-4", payload: { orderId: "m4", region: "eu-west" } },
        { name: "nobody.listens", id: "m-5", payload: {} },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendEventsError);
    expect([(error as SendEventsError).index, (error as SendEventsError).sent, (error as Error).cause]).toEqual([
      1,
      [{ id: "m-3", runs: [] }],
      expect.any(EventValidationError),
    ]);
    expect((error as Error).message).toBe(
      `event 2 of 3 (id "m-4") was not sent: event "order.created" does not match its schema: /vatId must have required property 'vatId' (job eu-vat); the 1 before it was sent, the rest were not`,
    );
    expect((await dev.request("GET", "/api/v1/events/m-5")).status).toBe(404);
  });
});

/**
 * A real HTTP hop in front of `stepjobs dev` that forwards every request but answers the first `lose` of them with a
 * 503 (as a load balancer whose upstream answer was lost): the event did arrive, the client does not know it.
 */
async function losingProxy(target: string, lose: number): Promise<{ url: string; ids: string[]; close: () => Promise<void> }> {
  const ids: string[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    ids.push((JSON.parse(body) as { id: string }).id);
    const headers = { authorization: req.headers.authorization ?? "", "content-type": req.headers["content-type"] ?? "" };
    const upstream = await fetch(target + req.url, { method: req.method, headers, body });
    const text = await upstream.text();
    if (ids.length <= lose) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "UNAVAILABLE", message: "the answer was lost on the way" } }));
      return;
    }
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, ids, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A TCP server that accepts each connection and closes it at once: the request fails on the network. */
async function hangingUpServer(): Promise<{ url: string; connections: number; close: () => Promise<void> }> {
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
