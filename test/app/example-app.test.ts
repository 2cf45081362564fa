import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/load-job.ts";

/**
 * The example app's job tests (src/jobs/my-first-workflow.test.ts, which `stepjobs init` scaffolds as test/my-first-workflow.test.ts) on Node's own
 * test runner, as a scaffolded project's `npm test` runs them: no vitest, no global set-up.
 */
describe("the example app's job tests", () => {
  it("pass under node --test (through tsx)", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "src/jobs/my-first-workflow.test.ts"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NODE_OPTIONS: "" },
      timeout: 120_000,
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^# pass 3$/m);
    expect(result.stdout).toMatch(/^# fail 0$/m);
  });
});
