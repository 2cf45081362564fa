import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadedPackages, moduleLog, recordingModules } from "../helpers/loaded-packages.ts";
import { devServerForThisFile, runCli } from "./helpers.ts";

/**
 * The CLI beside a running `stepjobs dev`, as a user types it: no URL, no flags. `dev` runs on a random port here
 * (never 8080), so every command below finds it through what `dev` recorded in its data dir.
 */
const dev = devServerForThisFile();

const logs = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-cli-modules-"));
afterAll(() => fs.rmSync(logs, { recursive: true, force: true }));

/** Runs the CLI recording every module it loads; answers its result and the packages (node_modules) it loaded. */
async function cliLoading(args: string[]) {
  const log = moduleLog(logs, args[0] ?? "");
  const result = await runCli(args, recordingModules(log), dev.root);
  return { result, packages: loadedPackages(log) };
}

describe("the CLI beside `stepjobs dev --port <random>`", () => {
  it("send, runs and run find the server without TRIGGER_API_URL or a flag", async () => {
    expect(dev.url).not.toContain(":8080");
    const sent = await runCli(["send", "my.event", '{"message":"found you","shouldFail":false}', "--id", "cli-1"], {}, dev.root);
    expect(sent).toEqual({
      code: 0,
      stdout: "event cli-1\nrun my-first-workflow--cli-1  (my-first-workflow)  -> stepjobs run my-first-workflow--cli-1 --follow\n",
      stderr: "",
    });
    await dev.waitForRun("my-first-workflow--cli-1");
    const runs = await runCli(["runs"], {}, dev.root);
    expect([runs.code, runs.stderr, runs.stdout.split("  ").slice(0, 3)]).toEqual([
      0,
      "",
      ["my-first-workflow--cli-1", "my-first-workflow", "SUCCEEDED"],
    ]);
    const run = await runCli(["run", "my-first-workflow--cli-1"], {}, dev.root);
    expect([run.code, run.stderr, run.stdout.split("\n")[0]]).toEqual([
      0,
      "",
      expect.stringMatching(/^run my-first-workflow--cli-1 {2}job my-first-workflow {2}event cli-1 {2}SUCCEEDED in /),
    ]);
  });

  it("an explicit TRIGGER_API_URL still wins over the server dev recorded", async () => {
    const elsewhere = "http://127.0.0.1:9";
    const runs = await runCli(["runs"], { TRIGGER_API_URL: elsewhere }, dev.root);
    expect(runs).toEqual({
      code: 1,
      stdout: "",
      stderr: `stepjobs runs: no stepjobs server at ${elsewhere}: start it with \`npm run dev\` (or set TRIGGER_API_URL)\n`,
    });
  });

  // This repository runs the CLI from its TypeScript sources, through tsx (which brings esbuild); the installed
  // package runs compiled JavaScript and loads no package at all (test/packaging/package.test.ts).
  it("send, runs and run load an HTTP client and a formatter: no TypeScript compiler, CDK, local engine, store or AWS SDK", async () => {
    const sent = await cliLoading(["send", "my.event", '{"message":"light","shouldFail":false}', "--id", "cli-2"]);
    expect([sent.result.code, sent.packages]).toEqual([0, ["esbuild", "tsx"]]);
    await dev.waitForRun("my-first-workflow--cli-2");
    const runs = await cliLoading(["runs"]);
    expect([runs.result.code, runs.packages]).toEqual([0, ["esbuild", "tsx"]]);
    const run = await cliLoading(["run", "my-first-workflow--cli-2"]);
    expect([run.result.code, run.packages]).toEqual([0, ["esbuild", "tsx"]]);
  });
});
