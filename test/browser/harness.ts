import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";

/**
 * Drives the real product for the browser tests and `npm run screenshots`: `stepjobs dev` spawned as a
 * child process (port 0, so the OS picks a free one; a temp project dir for `.env` and the data dir) and a
 * real Chromium through playwright-core: `CHROMIUM_PATH`, else Debian's, else the one the `@sparticuz/chromium`
 * devDependency ships inside its npm package. Nothing is downloaded and nothing needs installing by hand.
 */

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Debian's chromium package (`apt-get install chromium`), used when it is there. */
export const SYSTEM_CHROMIUM = "/usr/bin/chromium";

/**
 * Flags for a quiet, offline, container-friendly headless Chromium. Without the networking ones it stalls on a
 * closed network (it keeps trying to reach Google's update, sync and QUIC endpoints).
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where to look for a browser; the defaults are this machine's (tests pass their own). */
export interface BrowserSources {
  /** @default process.env.CHROMIUM_PATH */
  readonly chromiumPath?: string;
  /** @default SYSTEM_CHROMIUM */
  readonly systemChromium?: string;
  /** Where the packaged browser is unpacked. @default os.tmpdir() */
  readonly unpackRoot?: string;
}

/** The browser to drive: `CHROMIUM_PATH`, else a system Chromium, else the packaged one (unpacked on first use, ~4 s). */
export async function findChromium(sources: BrowserSources = {}): Promise<string> {
  const explicit = "chromiumPath" in sources ? sources.chromiumPath : process.env.CHROMIUM_PATH;
  if (explicit) return explicit;
  const system = sources.systemChromium ?? SYSTEM_CHROMIUM;
  if (fs.existsSync(system)) return system;
  return unpackPackagedChromium(sources.unpackRoot ?? os.tmpdir());
}

/**
 * Unpacks `@sparticuz/chromium`'s Brotli-packed binary into `<root>/stepjobs-chromium-<version>/` and returns the
 * executable. The package unpacks into `os.tmpdir()` and trusts whatever is already there, so it runs in a child
 * process whose TMPDIR is a private staging directory, renamed into place when complete: test files that start at
 * once never launch a half-written binary, and another version left in /tmp/chromium is never picked up.
 */
export async function unpackPackagedChromium(root: string): Promise<string> {
  const packageJson = path.join(REPO_ROOT, "node_modules/@sparticuz/chromium/package.json");
  const { version } = JSON.parse(fs.readFileSync(packageJson, "utf8")) as { version: string };
  const target = path.join(root, `stepjobs-chromium-${version}`);
  const executable = path.join(target, "chromium");
  if (fs.existsSync(executable)) return executable;
  fs.mkdirSync(root, { recursive: true });
  const staging = fs.mkdtempSync(path.join(root, `stepjobs-chromium-${version}-unpacking-`));
  const unpack = 'const { default: c } = await import("@sparticuz/chromium"); process.stdout.write(await c.executablePath());';
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", unpack], {
      cwd: REPO_ROOT,
      env: { ...process.env, TMPDIR: staging },
    });
    if (stdout !== path.join(staging, "chromium")) throw new Error(`@sparticuz/chromium unpacked to ${stdout}, not into ${staging}`);
    fs.renameSync(staging, target);
  } catch (error) {
    // A rename that fails because another test file unpacked it first is fine: use that one.
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(executable)) throw error;
  }
  return executable;
}

/** A running `stepjobs dev`. */
export interface DevProcess {
  readonly url: string;
  readonly apiKey: string;
  /** Everything the process printed so far. */
  output(): string;
  /** `POST /api/v1/events` with the API key, as curl or another service would. */
  send(name: string, payload: unknown, id?: string): Promise<{ status: number; body: any }>;
  /** `GET` an API path with the API key. */
  get(apiPath: string): Promise<any>;
  /** Polls a run until its status is `status` (the test's own timeout bounds the wait). */
  waitForRun(id: string, status: string): Promise<any>;
  stop(): Promise<void>;
}

/**
 * Starts `stepjobs dev` on the repository's `src/jobs` (or `jobsDir`) in a fresh temp project; resolves once it
 * listens. `host` is dev's `--host` (default: its own, 127.0.0.1).
 */
export async function startDev(jobsDir = path.join(REPO_ROOT, "src/jobs"), options: { readonly host?: string } = {}): Promise<DevProcess> {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-browser-"));
  const apiKey = `tr_dev_browser_test_${process.pid}`;
  const host = options.host ? ["--host", options.host] : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(REPO_ROOT, "bin/stepjobs.mjs"), "dev", "--port", "0", ...host, "--data-dir", path.join(project, "data"), "--jobs", jobsDir],
    { cwd: project, env: { ...process.env, TRIGGER_API_KEY: apiKey, NO_COLOR: "1", PORT: "" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let printed = "";
  child.stdout!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const match = /API and dashboard on (http:\/\/\S+)/.exec(printed);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => reject(new Error(`stepjobs dev exited with ${code} before listening:\n${printed}`)));
  });

  const api = async (apiPath: string, init: RequestInit = {}): Promise<{ status: number; body: any }> => {
    const res = await fetch(url + apiPath, {
      ...init,
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json", ...init.headers },
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    url,
    apiKey,
    output: () => printed,
    send: (name, payload, id) => api("/api/v1/events", { method: "POST", body: JSON.stringify({ name, payload, ...(id ? { id } : {}) }) }),
    get: async (apiPath) => (await api(apiPath)).body,
    async waitForRun(id, status) {
      for (;;) {
        const run = (await api(`/api/v1/runs/${encodeURIComponent(id)}`)).body;
        if (run?.status === status) return run;
        if (run?.status && run.status !== "RUNNING") throw new Error(`run ${id} ended ${run.status}, expected ${status}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(project, { recursive: true, force: true });
    },
  };
}

/** Launches Chromium headless (the one {@link findChromium} finds). */
export async function launchChromium(sources: BrowserSources = {}): Promise<Browser> {
  return chromium.launch({ executablePath: await findChromium(sources), args: CHROMIUM_ARGS, headless: true });
}

/** Console errors and uncaught exceptions of a page, collected from the moment it is created. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}
