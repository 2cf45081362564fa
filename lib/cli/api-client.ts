import { readEnvFile } from "../local/env-file.ts";
import { StepJobsError } from "../sdk/errors.ts";

/**
 * The CLI's client of a stepjobs API (`stepjobs dev` locally): base URL from `TRIGGER_API_URL` (default
 * http://localhost:8080), key from `TRIGGER_API_KEY` in the environment or the project's `.env`.
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

/** A thin fetch wrapper. */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly apiKey: string | undefined,
  ) {}

  /** From the environment and `./.env` (the environment wins). */
  static fromEnv(cwd: string = process.cwd()): ApiClient {
    const file = readEnvFile(cwd);
    const url = process.env.TRIGGER_API_URL ?? file.TRIGGER_API_URL ?? DEFAULT_API_URL;
    return new ApiClient(url.replace(/\/+$/, ""), process.env.TRIGGER_API_KEY ?? file.TRIGGER_API_KEY);
  }

  async request<T = any>(method: "GET" | "POST", path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ServerNotRunningError(this.url);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { error: { code: "BAD_RESPONSE", message: `the server answered ${response.status} with non-JSON` } };
    }
    return { status: response.status, body: parsed as T };
  }
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
