import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { initFiles, KEY_FROM_ENV_FILE, writeNewFiles } from "../../lib/cli/init.ts";
import { ensureEnvFile, parseEnv } from "../../lib/local/env-file.ts";
import { ROOT } from "../helpers/load-job.ts";

/**
 * The shell commands the docs print to take the API key out of `.env`, run as printed in `sh` against the `.env`
 * files stepjobs writes: `init`'s, `dev`'s on a project without one, and `dev`'s appended to one a user wrote.
 */
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-env-key-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const gettingStarted = fs.readFileSync(path.join(ROOT, "docs/getting-started.md"), "utf8");

/** Every `$(... .env ...)` command substitution a doc prints for the key. */
const substitutions = (doc: string) => [...doc.matchAll(/\$\(([^)]*TRIGGER_API_KEY[^)]*\.env[^)]*)\)/g)].map((m) => m[1]);
/** Every line a doc prints that exports the key from `.env`. */
const exports = (doc: string) => doc.split("\n").filter((line) => /^export .*\bgrep\b.*\.env/.test(line));

function projectWith(name: string, write: (dir: string) => void): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  write(dir);
  return dir;
}

const projects = {
  "stepjobs init": projectWith("init", (dir) => writeNewFiles(dir, initFiles("init", { stepjobs: "^0.1.0" }))),
  "stepjobs dev (no .env yet)": projectWith("dev", (dir) => ensureEnvFile(dir)),
  "stepjobs dev (appending to a user's .env)": projectWith("dev-appended", (dir) => {
    fs.writeFileSync(path.join(dir, ".env"), "# TRIGGER_API_KEY is added by stepjobs dev\nTRIGGER_API_URL=http://localhost:9000\n");
    ensureEnvFile(dir);
  }),
};

/** Runs `script` in `sh` in `dir`; answers what it printed. */
function sh(script: string, dir: string): string {
  const result = spawnSync("sh", ["-c", script], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH } });
  expect(result.stderr).toBe("");
  return result.stdout;
}

describe("the key extraction the docs print", () => {
  it("is found in README (inside curl's header) and in getting-started and init (an export line)", () => {
    expect(substitutions(readme)).toEqual(["grep '^TRIGGER_API_KEY=' .env | cut -d= -f2-"]);
    expect(exports(gettingStarted)).toEqual([KEY_FROM_ENV_FILE]);
  });

  it.each(Object.entries(projects))("yields exactly the key, from the .env that %s writes", (_, dir) => {
    const key = parseEnv(fs.readFileSync(path.join(dir, ".env"), "utf8")).TRIGGER_API_KEY;
    expect(key).toMatch(/^tr_dev_[A-Za-z0-9_-]{43}$/);
    for (const command of substitutions(readme)) expect(sh(`printf %s "$(${command})"`, dir)).toBe(key);
    for (const line of [...exports(gettingStarted), KEY_FROM_ENV_FILE]) expect(sh(`${line}\nprintf %s "$TRIGGER_API_KEY"`, dir)).toBe(key);
  });
});
