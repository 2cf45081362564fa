import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";

/**
 * End-to-end harness: a temp copy of the example project (plus fixture jobs), `stepjobs dev` spawned on it
 * as a child process on a free port, and a small HTTP client, so tests drive the product as a user does.
 */

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "bin/stepjobs.mjs");
const FIXTURE_JOBS = path.join(ROOT, "test/e2e/fixtures/jobs");

/** The AWS SDK's Node 20 notice is noise in test output (tests only; dev keeps it). */
const CHILD_ENV = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NO_COLOR: "1" };
delete (CHILD_ENV as Record<string, string | undefined>).TRIGGER_API_KEY;
delete (CHILD_ENV as Record<string, string | undefined>).TRIGGER_API_URL;
delete (CHILD_ENV as Record<string, string | undefined>).PORT;

/**
 * A project like a user's: `package.json` (ESM), `src/trigger.ts`, `src/jobs/*` from this repo plus the
 * e2e fixture jobs, and `node_modules/stepjobs` linked to this repo (what `npm install stepjobs` gives).
 */
export function makeProject(extraJobsDir?: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-e2e-"));
  fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "e2e-app", private: true, type: "module" }));
  fs.mkdirSync(path.join(root, "node_modules"));
  fs.symlinkSync(ROOT, path.join(root, "node_modules/stepjobs"), "dir");
  fs.cpSync(path.join(ROOT, "src"), path.join(root, "src"), { recursive: true });
  for (const file of fs.readdirSync(FIXTURE_JOBS)) fs.copyFileSync(path.join(FIXTURE_JOBS, file), path.join(root, "src/jobs", file));
  // Extra fixture jobs import their client from "../trigger", which is src/trigger.ts here.
  if (extraJobsDir)
    for (const file of fs.readdirSync(extraJobsDir)) fs.copyFileSync(path.join(extraJobsDir, file), path.join(root, "src/jobs", file));
  return root;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** An HTTP answer. */
export interface Answer<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** Options of {@link DevProcess}. */
export interface DevOptions {
  /** `--host`: the address `dev` listens on. @default 127.0.0.1 (dev's own default) */
  readonly host?: string;
}

/** A running `stepjobs dev` child process. */
export class DevProcess {
  private child: ChildProcess | undefined;
  private text = "";
  private port = 0;

  constructor(
    readonly root: string,
    private readonly options: DevOptions = {},
  ) {}

  /** The server's base URL through another address of this machine (`host` must be a wildcard such as 0.0.0.0). */
  urlVia(address: string): string {
    return `http://${address}:${this.port}`;
  }

  /** The server's base URL (the same port across restarts). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Everything the process printed (stdout and stderr) since it was started. */
  get output(): string {
    return this.text;
  }

  /** The key `dev` wrote to the project's `.env`. */
  get apiKey(): string {
    const line = fs
      .readFileSync(path.join(this.root, ".env"), "utf8")
      .split("\n")
      .find((l) => l.startsWith("TRIGGER_API_KEY="));
    return line!.slice("TRIGGER_API_KEY=".length);
  }

  /** Spawns `stepjobs dev` and resolves once it serves. */
  async start(): Promise<void> {
    this.port ||= await freePort();
    this.text = "";
    const host = this.options.host ? ["--host", this.options.host] : [];
    const child = spawn(
      process.execPath,
      [CLI, "dev", "--port", String(this.port), ...host, "--data-dir", ".stepjobs", "--jobs", "src/jobs"],
      {
        cwd: this.root,
        env: CHILD_ENV,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    child.stdout!.on("data", (chunk: Buffer) => (this.text += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (this.text += chunk.toString()));
    await this.waitForOutput(/API and dashboard on http/, 30_000);
  }

  /** Resolves when the output matches `pattern` (polling); rejects with the output after `timeoutMs`. */
  async waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.text)) {
      // A signal ends a child with exitCode null: check both, or a killed start waits out the whole timeout.
      const ended = this.child?.exitCode ?? this.child?.signalCode;
      if (ended !== null && ended !== undefined) throw new Error(`stepjobs dev exited (${ended}):\n${this.text}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${this.text}`);
      await sleep(50);
    }
  }

  /** Kills the process with `signal` and waits for it to exit. */
  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Sends `signal`, waits for the notice that tasks in flight are let finish, and sends it again (Ctrl+C twice). */
  async signalTwice(signal: NodeJS.Signals): Promise<void> {
    const child = this.child!;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await this.waitForOutput(/finish the task in flight/);
    child.kill(signal);
    await exited;
  }

  /** A request to the API with the project's key (unless `headers` says otherwise). */
  async request<T = any>(
    method: string,
    pathname: string,
    options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, ...options.headers };
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(this.url + pathname, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** `POST /api/v1/events` as the tutorial's curl does. */
  send(name: string, payload: unknown, id?: string): Promise<Answer> {
    return this.request("POST", "/api/v1/events", { body: { name, payload, ...(id ? { id } : {}) } });
  }

  /** Polls `GET /api/v1/runs/:id` until `done(run)`; rejects after `timeoutMs`. */
  async waitForRun(runId: string, done: (run: any) => boolean = (run) => run.status !== "RUNNING", timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await this.request("GET", `/api/v1/runs/${runId}`);
      if (answer.status === 200 && done(answer.body)) return answer.body;
      if (Date.now() > deadline) throw new Error(`run ${runId} not done in ${timeoutMs} ms: ${JSON.stringify(answer.body)}\n${this.text}`);
      await sleep(100);
    }
  }
}

/**
 * `stepjobs dev` on a fresh project for the tests of one file: started before them, killed and removed after.
 * Each file gets its own process, port and data dir, so files run in parallel without sharing state.
 */
export function devServerForThisFile(extraJobsDir?: string, options: DevOptions = {}): DevProcess {
  const dev = new DevProcess(makeProject(extraJobsDir), options);
  beforeAll(() => dev.start());
  afterAll(async () => {
    await dev.kill();
    fs.rmSync(dev.root, { recursive: true, force: true });
  });
  return dev;
}

/** Runs the CLI (`stepjobs <args>`) in `cwd` (a project dir: the CLI reads its `.env`); resolves with its exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...CHILD_ENV, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The lines a test's task appended to its side-effect file; none while the file does not exist yet. */
export function linesOf(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trimEnd().split("\n") : [];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
