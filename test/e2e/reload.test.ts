import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { devServerForThisFile, runCli } from "./helpers.ts";

/** Live reload: editing a job file while `stepjobs dev` runs re-registers it; a broken edit keeps the last good version. */

const dev = devServerForThisFile();
const file = path.join(dev.root, "src/jobs/my-first-workflow.ts");
const original = fs.readFileSync(file, "utf8");

describe("editing a job while dev runs", () => {
  it("re-registers the changed job without a restart; new runs use the new code", async () => {
    fs.writeFileSync(
      file,
      original.replace('version: "1.0.0"', 'version: "1.1.0"').replace("Workflow completed successfully!", "Workflow v1.1 completed!"),
    );
    await dev.waitForOutput(/re-registered job my-first-workflow v1\.1\.0 {2}on "my\.event"/);
    expect((await dev.request("GET", "/api/v1/jobs/my-first-workflow")).body.version).toBe("1.1.0");
    const sent = await dev.send("my.event", { message: "after the edit", shouldFail: false });
    const run = await dev.waitForRun(sent.body.runs[0].id);
    expect(run.status).toBe("SUCCEEDED");
    expect(run.jobVersion).toBe("1.1.0");
    expect(run.logs.at(-1).message).toBe("Workflow v1.1 completed!");
  });

  it("a broken edit prints its error with file:line:col and keeps the last good version", async () => {
    const broken = original
      .replace('version: "1.0.0"', 'version: "1.2.0"')
      .replace("maxAttempts: 3, // Try up to 3 times", "maxAttempts: Number(process.env.ATTEMPTS),");
    expect(broken).not.toBe(original);
    const before = dev.output.length;
    fs.writeFileSync(file, broken);
    await dev.waitForOutput(/src\/jobs\/my-first-workflow\.ts:\d+:\d+: .*\(keeping the last good version\)/);
    expect(dev.output.slice(before)).not.toContain("re-registered job my-first-workflow");
    expect((await dev.request("GET", "/api/v1/jobs/my-first-workflow")).body.version).toBe("1.1.0");
    const sent = await dev.send("my.event", { message: "still served", shouldFail: false });
    const run = await dev.waitForRun(sent.body.runs[0].id);
    expect([run.status, run.jobVersion]).toEqual(["SUCCEEDED", "1.1.0"]);
  });

  it("a syntax error prints file:line:col and the parser's message; fixing the file says so", async () => {
    const before = dev.output.length;
    fs.writeFileSync(file, original.replace('version: "1.0.0"', 'version: "1.3.0"') + "\nconst unfinished = {;\n");
    const line = original.split("\n").length + 1;
    await dev.waitForOutput(
      new RegExp(`src/jobs/my-first-workflow\\.ts:${line}:21: Property assignment expected\\.  \\(keeping the last good version\\)`),
    );
    expect(dev.output.slice(before)).not.toContain("Transform failed");
    fs.writeFileSync(file, original.replace('version: "1.0.0"', 'version: "1.3.0"'));
    await dev.waitForOutput(/src\/jobs\/my-first-workflow\.ts: fixed, no errors now\n.*re-registered job my-first-workflow v1\.3\.0/);
  });

  it("an error only the module loader finds (a name declared twice) is located too, with its reason", async () => {
    const before = dev.output.length;
    fs.writeFileSync(file, original + "const twice = 1;\nconst twice = 2;\n");
    const line = original.split("\n").length + 1;
    await dev.waitForOutput(/already been declared/);
    expect(dev.output.slice(before)).toContain(
      `src/jobs/my-first-workflow.ts:${line}:7: The symbol "twice" has already been declared  (keeping the last good version)`,
    );
    expect((await dev.request("GET", "/api/v1/jobs/my-first-workflow")).body.version).toBe("1.3.0");
  });

  it("a new file reusing a running job's id gets the error at its own file:line; the running job keeps its file and trigger", async () => {
    fs.writeFileSync(file, original.replace('version: "1.0.0"', 'version: "1.3.0"'));
    await dev.waitForOutput(/re-registered job my-first-workflow v1\.0\.0|src\/jobs\/my-first-workflow\.ts: fixed/);
    // "a-copy.ts" sorts before the running job's file: the file order must not decide who owns the id.
    const copy = path.join(dev.root, "src/jobs/a-copy.ts");
    const copied = original.replace('version: "1.0.0"', 'version: "9.9.9"').replace('client.on("my.event"', 'client.on("copy.event"');
    expect(copied).toContain('"copy.event"');
    const before = dev.output.length;
    fs.writeFileSync(copy, copied);
    const defineLine = copied.split("\n").findIndex((l) => l.includes("client.defineJob")) + 1;
    await dev.waitForOutput(/duplicate job id/);
    expect(dev.output.slice(before)).toContain(
      `src/jobs/a-copy.ts:${defineLine}:1: duplicate job id "my-first-workflow"; it is already defined at src/jobs/my-first-workflow.ts:${defineLine}:1  (keeping the last good version)`,
    );
    expect(dev.output.slice(before)).not.toContain("re-registered job my-first-workflow");
    const job = (await dev.request("GET", "/api/v1/jobs/my-first-workflow")).body;
    expect([job.file, job.version, job.trigger.event]).toEqual(["src/jobs/my-first-workflow.ts", "1.3.0", "my.event"]);
    const sent = await dev.send("my.event", { message: "the old trigger still starts runs", shouldFail: false });
    expect(sent.body.runs.map((r: { jobId: string }) => r.jobId)).toEqual(["my-first-workflow"]);
    expect((await dev.waitForRun(sent.body.runs[0].id)).status).toBe("SUCCEEDED");

    // synth agrees: the duplicate fails it, naming both places (it has no running version, so file order decides).
    const synth = await runCli(["synth", "--out", "out"], {}, dev.root);
    expect(synth.code).toBe(1);
    expect(synth.stderr).toContain(
      `src/jobs/my-first-workflow.ts:${defineLine}:1: duplicate job id "my-first-workflow"; it is already defined at src/jobs/a-copy.ts:${defineLine}:1`,
    );
    fs.rmSync(copy);
  });

  it("a job in a new file is announced as registered, not re-registered", async () => {
    const before = dev.output.length;
    fs.writeFileSync(
      path.join(dev.root, "src/jobs/brand-new.ts"),
      `import { client } from "../trigger";\n` +
        `client.defineJob({ id: "brand-new", name: "Brand new", version: "1.0.0", trigger: client.on("brand.new", { schema: { type: "object" } }),\n` +
        `  run: async (payload, io) => io.runTask("only", async () => ({ ok: true })) });\n`,
    );
    await dev.waitForOutput(/registered job brand-new v1\.0\.0/);
    const lines = dev.output
      .slice(before)
      .split("\n")
      .filter((line) => line.includes("brand-new"));
    expect(lines).toEqual([expect.stringMatching(/^registered job brand-new v1\.0\.0 {2}on "brand\.new" {2}tasks: only \(/)]);
  });
});
