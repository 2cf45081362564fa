import path from "node:path";
import { describe, expect, it } from "vitest";
import { devServerForThisFile, ROOT, runCli } from "./helpers.ts";

/**
 * A task's error as a user sees it in `stepjobs dev` (test/fixtures/errors/custom-errors.ts): `retryOn` by class
 * name, and the failing error's stack and fields in the API, the CLI and the terminal.
 */

const dev = devServerForThisFile(path.join(ROOT, "test/fixtures/errors"));

/** Where the fixture throws its PaymentError, as the project-relative, source-mapped stack says. */
const THROWN_AT = /^at .*src\/jobs\/custom-errors\.ts:31:15\)?$/;

describe("a task's error keeps its class name, stack and fields", () => {
  let runId = "";

  it("retryOn matches the class name; the API has the stack and fields of the attempt and of the run", async () => {
    const sent = await dev.send("custom.errors", { orderId: "o-42" });
    runId = sent.body.runs[0].id;
    const run = await dev.waitForRun(runId);
    expect(run.status).toBe("FAILED");
    const attempts = run.tasks[0].attempts;
    expect(attempts.map((a: { error: { name: string } }) => a.error.name)).toEqual(["PlainCustomError", "PaymentError"]);
    for (const error of [attempts[1].error, run.error]) {
      expect([error.name, error.message, error.fields]).toEqual([
        "PaymentError",
        "card declined",
        { code: "CARD_DECLINED", orderId: "o-42" },
      ]);
      expect(error.stack.split("\n")[0]).toMatch(THROWN_AT);
      expect(error.stack).not.toMatch(/node_modules|node:internal|lib\/runtime/);
    }
  });

  it("stepjobs run <id> prints the fields and the stack under the failed attempt and the run's error", async () => {
    const { code, stdout } = await runCli(["run", runId], { TRIGGER_API_URL: dev.url, TRIGGER_API_KEY: dev.apiKey }, dev.root);
    expect(code).toBe(1);
    const lines = stdout.split("\n");
    const attempt = lines.findIndex((l) => l.includes("attempt 2  FAILED"));
    expect(lines[attempt]).toMatch(/PaymentError: card declined \{"code":"CARD_DECLINED","orderId":"o-42"\}$/);
    expect(lines[attempt + 1]?.trim()).toMatch(THROWN_AT);
    const runError = lines.findIndex((l) => l.startsWith("  error "));
    expect(lines[runError]).toBe('  error PaymentError: card declined {"code":"CARD_DECLINED","orderId":"o-42"}');
    expect(lines[runError + 1]?.trim()).toMatch(THROWN_AT);
  });

  it("the terminal names where each attempt threw and why the last is not retried, and prints the stack when the run fails", async () => {
    await dev.waitForOutput(/run FAILED/);
    const out = dev.output.split("\n");
    const first = out.find((l) => l.includes("charge#1] attempt 1 failed"));
    expect(first).toMatch(/PlainCustomError: gateway timed out at src\/jobs\/custom-errors\.ts:30:46 — retrying in 1 s$/);
    const second = out.find((l) => l.includes("charge#2] attempt 2 failed"));
    expect(second).toMatch(/PaymentError: card declined .* — not retried: its retryOn does not list PaymentError$/);
    expect(dev.output).not.toContain("no retries left");
    const failed = out.findIndex((l) => l.includes("run FAILED"));
    expect(out[failed]).toMatch(/: PaymentError: card declined \{"code":"CARD_DECLINED","orderId":"o-42"\}$/);
    expect(out[failed + 1]?.trim()).toMatch(THROWN_AT);
  });
});
