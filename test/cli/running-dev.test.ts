import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { forgetDevServer, recordDevServer, runningDevServerUrl } from "../../lib/cli/running-dev.ts";

/** The record `stepjobs dev` leaves in its data dir for the other commands (the e2e side: test/e2e/cli.test.ts). */
let root = "";
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
function project(): string {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-running-dev-"));
  fs.mkdirSync(path.join(root, ".stepjobs"));
  return root;
}

describe("where the running stepjobs dev listens", () => {
  it("is what dev recorded in .stepjobs while it runs, and nothing once it stopped", () => {
    const dir = project();
    expect(runningDevServerUrl(dir)).toBeUndefined();
    recordDevServer(path.join(dir, ".stepjobs"), "http://127.0.0.1:9000");
    expect(runningDevServerUrl(dir)).toBe("http://127.0.0.1:9000");
    forgetDevServer(path.join(dir, ".stepjobs"));
    expect(runningDevServerUrl(dir)).toBeUndefined();
  });

  it("ignores a record left by a dev that was killed (its process is gone) or a damaged one", () => {
    const dir = project();
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    fs.writeFileSync(path.join(dir, ".stepjobs/dev-server.json"), JSON.stringify({ url: "http://127.0.0.1:9000", pid: Number(gone) }));
    expect(runningDevServerUrl(dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, ".stepjobs/dev-server.json"), "{ half a rec");
    expect(runningDevServerUrl(dir)).toBeUndefined();
  });
});
