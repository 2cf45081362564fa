import { readEnvFile } from "../local/env-file.ts";
import { runningDevServerUrl } from "./running-dev.ts";
import { StepJobsError } from "../sdk/errors.ts";

/**
 * The CLI's client of a stepjobs API (`stepjobs dev` locally): base URL from `TRIGGER_API_URL` in the environment or
 * the project's `.env`, else the URL the project's running `stepjobs dev` recorded, else http://localhost:8080; key
 * from `TRIGGER_API_KEY` in the environment or the project's `.env`.
 */

/** The default API of `stepjobs dev`. */
export const DEFAULT_API_URL = "http://localhost:8080";

/** The server did not answer at all: a one-line hint instead of a socket error. */
export class ServerNotRunningError extends StepJobsError {
  constructor(url: string) {
    super("SERVER_NOT_RUNNING", `no stepjobs server at ${url}: start it with \`npm run dev\` (or set TRIGGER_API_URL)`);
    this.name = "ServerNotRunningError";
  }
}

/** An API answer: status and parsed JSON body. */
export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
}

/** The `{ error: { code, message, details? } }` of a 4xx/5xx, in one line. */
export function apiErrorLine(response: ApiResponse): string {
  const error = response.body?.error;
  return error ? `${error.code}: ${error.message}` : `HTTP ${response.status}`;
}

/** A thin client of the stepjobs HTTP API. */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly apiKey: string | undefined,
  ) {}

  /** From the environment, `./.env` (the environment wins) and the running `stepjobs dev`. */
  static fromEnv(cwd: string = process.cwd()): ApiClient {
    const file = readEnvFile(cwd);
    const url = process.env.TRIGGER_API_URL ?? file.TRIGGER_API_URL ?? runningDevServerUrl(cwd) ?? DEFAULT_API_URL;
    return new ApiClient(url.replace(/\/+$/, ""), process.env.TRIGGER_API_KEY ?? file.TRIGGER_API_KEY);
  }

  async request<T = any>(method: "GET" | "POST", path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(payload));
    }
    let answer: { status: number; text: string };
    try {
      answer = await exchange(new URL(this.url + path), method, headers, payload);
    } catch {
      throw new ServerNotRunningError(this.url);
    }
    let parsed: unknown;
    try {
      parsed = answer.text ? JSON.parse(answer.text) : null;
    } catch {
      parsed = { error: { code: "BAD_RESPONSE", message: `the server answered ${answer.status} with non-JSON` } };
    }
    return { status: answer.status, body: parsed as T };
  }
}

/**
 * One HTTP exchange over node:http(s), one connection each (no keep-alive to wait out). Not `fetch`: loading its
 * implementation (undici) took longer than all the rest of `stepjobs runs` (bench/cli-start.ts).
 */
async function exchange(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  const transport = url.protocol === "https:" ? await import("node:https") : await import("node:http");
  return new Promise((resolve, reject) => {
    const request = transport.request(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** Wraps a command's `run` so "no server" is one line on stderr and exit 1, not a stack trace. */
export function reportingServerDown(run: (args: string[]) => Promise<number>, name: string): (args: string[]) => Promise<number> {
  return async (args) => {
    try {
      return await run(args);
    } catch (error) {
      if (!(error instanceof ServerNotRunningError)) throw error;
      process.stderr.write(`stepjobs ${name}: ${error.message}\n`);
      return 1;
    }
  };
}
