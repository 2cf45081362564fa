import {
  ApiError,
  apiErrorBody,
  checkEventContentType,
  duplicateIdWarning,
  eventValidationError,
  invalidEventAsApiError,
  MAX_EVENT_BODY_BYTES,
  parseEventBody,
} from "../ingest/event-request.ts";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { IngestResult } from "../ingest/ingest-event.ts";
import type { IncomingEvent } from "../ingest/types.ts";
import { LOGIN_PATH, renderLoginHtml, safeNextPath } from "../dashboard/login-page.ts";
import { CONTENT_SECURITY_POLICY, createDashboardHandler } from "../dashboard/serve.ts";
import { eventView, jobView, runDetailView, runSummaryView } from "./api-views.ts";
import { type ApiAuth, isLoopbackAddress } from "./auth.ts";
import type { ChangeFeed } from "./change-feed.ts";
import type { JobRegistry } from "./job-registry.ts";
import { RunActionError } from "./local-runtime.ts";
import type { LocalStores } from "./stores.ts";
import { InvalidCursorError } from "../store/errors.ts";
import type { Page, RunRecord } from "../store/types.ts";

/**
 * The local HTTP API (`/api/v1/...`, same shapes as the cloud API) and the dashboard, on node:http.
 * Thin: it authenticates, parses, calls ingest or the stores, and formats. Every error body is
 * `{ error: { code, message, details? } }`; an unexpected failure answers 500 with a generic message (the
 * stack goes to the terminal, never to the client).
 */

/** Largest request body accepted: EventBridge's PutEvents entry limit (256 KB), so local matches cloud. */
export const MAX_BODY_BYTES = MAX_EVENT_BODY_BYTES;

/** Everything the server routes to. */
export interface ApiDeps {
  readonly auth: ApiAuth;
  /** The TriggerClient id (`GET /api/v1/app`). */
  readonly appId: string;
  /** The jobs (`list`/`get`): the dev registry, or the compiled project for a deployed stack. */
  readonly registry: Pick<JobRegistry, "list" | "get">;
  /**
   * Where runs are read from instead of the local store (`stepjobs dashboard --aws`: Step Functions). With it the
   * API is read-only: POSTs answer 405 naming the CLI command to use.
   */
  readonly runSource?: RunSource;
  readonly stores: LocalStores;
  readonly ingest: (incoming: IncomingEvent) => Promise<IngestResult>;
  readonly changes: ChangeFeed;
  /** Redrive and cancel (the local runtime); absent: those routes answer 501. */
  readonly runControl?: {
    redrive(runId: string): Promise<RunRecord>;
    cancel(runId: string): Promise<RunRecord>;
  };
  /** When each scheduled job fires next (the local scheduler). */
  readonly nextFire?: (jobId: string) => Date | undefined;
  /** Reports a 500's cause (the terminal). */
  readonly onError?: (error: unknown) => void;
}

/** Runs read from somewhere else than the local store (a deployed stack), already in the API's views, paged by the source's own cursor. */
export interface RunSource {
  /** What to use instead of a write (shown in the 405). */
  readonly readOnlyHint: string;
  listRuns(query: {
    readonly jobId?: string;
    readonly status?: string;
    readonly limit?: number;
    readonly cursor?: string;
  }): Promise<{ readonly runs: readonly unknown[]; readonly nextCursor: string | null }>;
  /** The run detail view, or undefined when there is no such run. */
  getRun(id: string): Promise<unknown | undefined>;
  /** Sends an event somewhere else (the stack's HTTP API); its answer is passed through. Without it POSTs are 405. */
  sendEvent?(incoming: IncomingEvent): Promise<{ status: number; body: unknown }>;
}

/** An API failure with its HTTP status and stable code. */
export { ApiError };

type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.status, apiErrorBody(error));
}

/** Reads a body up to `limit` bytes; a longer one is a 413 without reading the rest. */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit)
    throw new ApiError(413, "PAYLOAD_TOO_LARGE", `request body is ${declared} bytes; the limit is ${limit}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(413, "PAYLOAD_TOO_LARGE", `request body is over the ${limit} byte limit`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Parses `POST /api/v1/events` with the checks the cloud API applies too (lib/ingest/event-request.ts). */
async function readEventBody(req: IncomingMessage): Promise<IncomingEvent> {
  checkEventContentType(req.headers["content-type"]);
  return parseEventBody(await readBody(req, MAX_BODY_BYTES));
}

const ROUTES: readonly { method: string; pattern: RegExp; handler: keyof Handlers }[] = [
  { method: "POST", pattern: /^\/api\/v1\/events$/, handler: "postEvent" },
  { method: "GET", pattern: /^\/api\/v1\/events$/, handler: "listEvents" },
  { method: "GET", pattern: /^\/api\/v1\/events\/([^/]+)$/, handler: "getEvent" },
  { method: "GET", pattern: /^\/api\/v1\/runs$/, handler: "listRuns" },
  { method: "GET", pattern: /^\/api\/v1\/runs\/([^/]+)$/, handler: "getRun" },
  { method: "POST", pattern: /^\/api\/v1\/runs\/([^/]+)\/redrive$/, handler: "redriveRun" },
  { method: "POST", pattern: /^\/api\/v1\/runs\/([^/]+)\/cancel$/, handler: "cancelRun" },
  { method: "GET", pattern: /^\/api\/v1\/jobs$/, handler: "listJobs" },
  { method: "GET", pattern: /^\/api\/v1\/jobs\/([^/]+)$/, handler: "getJob" },
  { method: "GET", pattern: /^\/api\/v1\/app$/, handler: "getApp" },
  { method: "GET", pattern: /^\/api\/v1\/stream$/, handler: "stream" },
];

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, param: string) => Promise<void>;
type Handlers = Record<
  | "postEvent"
  | "listEvents"
  | "getEvent"
  | "listRuns"
  | "getRun"
  | "redriveRun"
  | "cancelRun"
  | "listJobs"
  | "getJob"
  | "getApp"
  | "stream",
  Handler
>;

const RUN_STATUSES = new Set(["RUNNING", "SUCCEEDED", "FAILED", "ABORTED"]);

function createHandlers(deps: ApiDeps): Handlers {
  return { ...eventHandlers(deps), ...runHandlers(deps), ...jobHandlers(deps) };
}

/** `POST /api/v1/events` and the event list and record. */
function eventHandlers(deps: ApiDeps): Pick<Handlers, "postEvent" | "listEvents" | "getEvent"> {
  const { stores } = deps;
  return {
    async postEvent(req, res) {
      const incoming = await readEventBody(req);
      if (deps.runSource?.sendEvent) {
        const answer = await deps.runSource.sendEvent(incoming);
        sendJson(res, answer.status, answer.body);
        return;
      }
      const { record, duplicate, differs } = await ingestOrUnavailable(deps, incoming);
      if (record.status === "REJECTED") {
        throw eventValidationError(record, record.errors);
      }
      const warning = differs && differs.length > 0 ? { warning: duplicateIdWarning(record.id, differs) } : {};
      sendJson(res, duplicate ? 200 : 202, { id: record.id, runs: record.runs, ...warning });
    },
    async listEvents(_req, res, url) {
      const name = url.searchParams.get("name") ?? undefined;
      const page = await pageOf(() => stores.events.listEventsPage({ name, limit: limitOf(url), cursor: cursorOf(url) }));
      sendJson(res, 200, { events: page.items.map(eventView), nextCursor: page.cursor ?? null });
    },
    async getEvent(_req, res, _url, id) {
      const record = await stores.events.getEvent(id);
      if (!record) throw new ApiError(404, "NOT_FOUND", `no event with id "${id}"`);
      sendJson(res, 200, eventView(record));
    },
  };
}

/**
 * Ingests an event. A store or start failure is a 503: nothing is lost (a record, if written, is retried by the same
 * id), so the client may retry, as the cloud API answers when PutEvents fails.
 */
async function ingestOrUnavailable(deps: ApiDeps, incoming: IncomingEvent): Promise<IngestResult> {
  try {
    return await deps.ingest(incoming);
  } catch (error) {
    const invalid = invalidEventAsApiError(error);
    if (invalid instanceof ApiError) throw invalid;
    deps.onError?.(error);
    throw new ApiError(
      503,
      "UNAVAILABLE",
      `the event could not be recorded or its runs started (${(error as Error)?.message ?? String(error)}); send it again with the same id: it will not start a second run`,
    );
  }
}

/** The run list and detail (from the store, or a deployed stack's `runSource`), redrive and cancel. */
function runHandlers(deps: ApiDeps): Pick<Handlers, "listRuns" | "getRun" | "redriveRun" | "cancelRun"> {
  const { stores, registry } = deps;
  return {
    async listRuns(_req, res, url) {
      const jobId = url.searchParams.get("jobId") ?? undefined;
      const status = url.searchParams.get("status")?.toUpperCase() || undefined;
      if (status && !RUN_STATUSES.has(status))
        throw new ApiError(400, "INVALID_QUERY", `status must be one of ${[...RUN_STATUSES].join(", ")}`);
      if (deps.runSource) {
        const source = deps.runSource;
        const page = await pageOf(async () => {
          const { runs, nextCursor } = await source.listRuns({ jobId, status, limit: limitOf(url), cursor: cursorOf(url) });
          return { items: [...runs], ...(nextCursor ? { cursor: nextCursor } : {}) };
        });
        sendJson(res, 200, { runs: page.items, nextCursor: page.cursor ?? null });
        return;
      }
      const page = await pageOf(() =>
        stores.runs.listRunsPage({ jobId, status: status as never, limit: limitOf(url), cursor: cursorOf(url) }),
      );
      sendJson(res, 200, { runs: page.items.map(runSummaryView), nextCursor: page.cursor ?? null });
    },
    async getRun(_req, res, _url, id) {
      if (deps.runSource) {
        const detail = await deps.runSource.getRun(id);
        if (!detail) throw new ApiError(404, "NOT_FOUND", `no run with id "${id}"`);
        sendJson(res, 200, detail);
        return;
      }
      const run = await stores.runs.getRun(id);
      if (!run) throw new ApiError(404, "NOT_FOUND", `no run with id "${id}"`);
      const [attempts, logs, steps] = await Promise.all([
        stores.runs.listAttempts(id),
        stores.runs.listLogs(id),
        stores.runs.listSteps(id),
      ]);
      sendJson(res, 200, runDetailView(run, attempts, logs, registry.get(run.jobId)?.compiled.plan, steps));
    },
    async redriveRun(_req, res, _url, id) {
      sendJson(res, 202, runSummaryView(await controlRun(deps, "redrive", id)));
    },
    async cancelRun(_req, res, _url, id) {
      sendJson(res, 200, runSummaryView(await controlRun(deps, "cancel", id)));
    },
  };
}

/** The jobs, the app, and the live-update stream. */
function jobHandlers(deps: ApiDeps): Pick<Handlers, "listJobs" | "getJob" | "getApp" | "stream"> {
  const { registry } = deps;
  return {
    async listJobs(_req, res) {
      sendJson(res, 200, { jobs: registry.list().map((j) => jobView(j, deps.nextFire?.(j.id))) });
    },
    async getJob(_req, res, _url, id) {
      const job = registry.get(id);
      if (!job) throw new ApiError(404, "NOT_FOUND", `no job with id "${id}"`);
      sendJson(res, 200, jobView(job, deps.nextFire?.(id)));
    },
    async getApp(_req, res) {
      sendJson(
        res,
        200,
        deps.runSource ? { id: deps.appId, env: "aws", readOnly: deps.runSource.readOnlyHint } : { id: deps.appId, env: "dev" },
      );
    },
    async stream(req, res) {
      // Server-Sent Events (https://html.spec.whatwg.org/multipage/server-sent-events.html): one `data:` line per change.
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
      res.write(": stepjobs live updates\n\n");
      const unsubscribe = deps.changes.subscribe((change) => res.write(`data: ${JSON.stringify(change)}\n\n`));
      // A comment every 15 s keeps proxies and idle timeouts from closing a quiet stream.
      const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
      req.on("close", () => {
        clearInterval(keepAlive);
        unsubscribe();
      });
    },
  };
}

/** The `cursor` query parameter: the `nextCursor` of the page before. */
function cursorOf(url: URL): string | undefined {
  return url.searchParams.get("cursor") ?? undefined;
}

/** Reads a page; a cursor the store does not recognise is the client's mistake (400), not the server's. */
async function pageOf<T>(read: () => Promise<Page<T>>): Promise<Page<T>> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new ApiError(400, "INVALID_QUERY", error.message);
    throw error;
  }
}

function limitOf(url: URL): number | undefined {
  const raw = url.searchParams.get("limit");
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new ApiError(400, "INVALID_QUERY", "limit must be an integer from 1 to 1000");
  return n;
}

/** A page shown until the dashboard module exists. */
const PLACEHOLDER_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>stepjobs</title></head>
<body><h1>stepjobs dev</h1><p>The API is at <code>/api/v1</code> (jobs, events, runs). The dashboard is not built yet.</p></body></html>`;

/** The dashboard's request handler (its bundle is built or loaded once per process). */
async function loadDashboard(): Promise<DashboardHandler | undefined> {
  return createDashboardHandler();
}

/** Largest login form accepted: a key and a path, with room to spare. */
const MAX_LOGIN_BYTES = 8 * 1024;

/** Writes the login page (the dashboard's CSP applies: the form posts only to this server). */
function sendLoginPage(res: ServerResponse, auth: ApiAuth, status: number, next: string): void {
  const html = renderLoginHtml({ next, keyHint: auth.keyHint, refused: status === 401 });
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-store",
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
  });
  res.end(html);
}

/**
 * `POST /login` (the login form): the right key gets the session cookie and a 303 back to the page asked for; a
 * wrong one gets the form again with a 401.
 */
async function login(req: IncomingMessage, res: ServerResponse, auth: ApiAuth): Promise<void> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers["content-type"] ?? ""))
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "the login form is sent as application/x-www-form-urlencoded");
  const form = new URLSearchParams(await readBody(req, MAX_LOGIN_BYTES));
  const next = safeNextPath(form.get("next"));
  if (!auth.acceptsKey(form.get("key") ?? "")) {
    sendLoginPage(res, auth, 401, next);
    return;
  }
  res.writeHead(303, { location: next, "set-cookie": auth.sessionCookie(), "cache-control": "no-store", "content-length": 0 });
  res.end();
}

/** The request listener: API routes behind auth, everything else to the dashboard. */
export async function createRequestListener(deps: ApiDeps): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
  const handlers = createHandlers(deps);
  let dashboard: DashboardHandler | undefined;
  try {
    dashboard = await loadDashboard();
  } catch (error) {
    deps.onError?.(error);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/api" || url.pathname.startsWith("/api/")) {
      if (!deps.auth.isAuthorized(req))
        throw new ApiError(401, "UNAUTHORIZED", "missing or wrong API key: send Authorization: Bearer <TRIGGER_API_KEY> (see .env)");
      const candidates = ROUTES.map((route) => ({ route, match: route.pattern.exec(url.pathname) })).filter((c) => c.match);
      if (candidates.length === 0) throw new ApiError(404, "NOT_FOUND", `no API route ${url.pathname}`);
      const forwarded = deps.runSource?.sendEvent && req.method === "POST" && url.pathname === "/api/v1/events";
      if (deps.runSource && req.method !== "GET" && !forwarded)
        throw new ApiError(405, "READ_ONLY", `this dashboard reads a deployed stack; ${deps.runSource.readOnlyHint}`);
      const hit = candidates.find((c) => c.route.method === req.method);
      if (!hit) {
        res.setHeader("allow", candidates.map((c) => c.route.method).join(", "));
        throw new ApiError(405, "METHOD_NOT_ALLOWED", `${req.method} is not supported on ${url.pathname}`);
      }
      await handlers[hit.route.handler](req, res, url, decodeURIComponent(hit.match![1] ?? ""));
      return;
    }
    if (url.pathname === LOGIN_PATH && req.method === "POST") return login(req, res, deps.auth);
    if (req.method !== "GET" && req.method !== "HEAD")
      throw new ApiError(405, "METHOD_NOT_ALLOWED", `${req.method} is not supported on ${url.pathname}`);
    // Pages (not assets, which hold no data) carry the session cookie, so the dashboard's fetches are authorized
    // without the key: on loopback at once, from elsewhere after the login form.
    if (!/\.[a-z0-9]+$/i.test(url.pathname)) {
      if (deps.auth.opensWithoutKey(req)) res.setHeader("set-cookie", deps.auth.sessionCookie());
      else if (!deps.auth.hasSession(req))
        return sendLoginPage(res, deps.auth, 200, url.pathname === LOGIN_PATH ? "/" : url.pathname + url.search);
    }
    if (dashboard && (await dashboard(req, res))) return;
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(PLACEHOLDER_HTML);
      return;
    }
    throw new ApiError(404, "NOT_FOUND", `nothing at ${url.pathname}`);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof ApiError) {
        if (error.status === 413) res.setHeader("connection", "close");
        sendError(res, error);
        return;
      }
      deps.onError?.(error);
      sendError(res, new ApiError(500, "INTERNAL", "internal error; see the stepjobs dev terminal"));
    });
  };
}

/** Redrives or cancels a run, turning the runtime's refusal into 404 (no such run) or 409 (wrong status). */
async function controlRun(deps: ApiDeps, action: "redrive" | "cancel", id: string): Promise<RunRecord> {
  if (!deps.runControl) throw new ApiError(501, "NOT_IMPLEMENTED", `${action} is not available on this server`);
  try {
    return await deps.runControl[action](id);
  } catch (error) {
    if (error instanceof RunActionError) throw new ApiError(error.code === "NOT_FOUND" ? 404 : 409, error.code, error.message);
    throw error;
  }
}

/** What a server bound beyond loopback prints: who can reach it, and what the dashboard asks them for. */
export function beyondLoopbackWarning(host: string, key: string): string {
  return `listening on ${host}, beyond this machine: other machines can reach the dashboard and API; the dashboard asks them for ${key}`;
}

/** A listening server. */
export interface StartedServer {
  readonly server: http.Server;
  readonly url: string;
  /**
   * Bound to an address other machines can reach (a wildcard such as 0.0.0.0, or a network interface): their
   * browsers get the login form (the caller should say so).
   */
  readonly beyondLoopback: boolean;
}

/** Starts the server; resolves with the bound address once listening. */
export async function startServer(deps: ApiDeps, options: { readonly host: string; readonly port: number }): Promise<StartedServer> {
  const server = http.createServer(await createRequestListener(deps));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { server, url: `http://${host}:${address.port}`, beyondLoopback: !isLoopbackAddress(address.address) };
}
