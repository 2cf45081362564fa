import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { devServerForThisFile } from "./helpers.ts";

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
