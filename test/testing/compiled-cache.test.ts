import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { compileProjectCached } from "../../lib/testing/compiled-cache.ts";
import { ROOT } from "../helpers/load-job.ts";

/**
 * testJobs keeps the compiled jobs in node_modules/.cache/stepjobs so a test process whose jobs did not change never
 * loads TypeScript. What matters: a warm start is the same project as a fresh compile, and every edit that changes
 * the compile (a job, the client file it takes retry defaults from, a new job file) is seen.
 */
let root: string;

const client = (maxAttempts: number) =>
  `import { TriggerClient } from "stepjobs";\nexport const client = new TriggerClient({ id: "t", defaults: { retry: { maxAttempts: ${maxAttempts} } } });\n`;
const job = (id: string, event: string) => `import { client } from "../trigger";
client.defineJob({ id: "${id}", name: "${id}", version: "1.0.0", trigger: client.on("${event}", { schema: { type: "object" } }),
  run: async (payload, io) => { await io.runTask("work", async () => 1); } });
`;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-cache-"));
  fs.mkdirSync(path.join(root, "node_modules"));
  fs.mkdirSync(path.join(root, "src", "jobs"), { recursive: true });
  fs.writeFileSync(path.join(root, "src", "trigger.ts"), client(2));
  fs.writeFileSync(path.join(root, "src", "jobs", "a.ts"), job("a", "a.happened"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const cacheFiles = () => fs.readdirSync(path.join(root, "node_modules", ".cache", "stepjobs"));
const retryOf = (project: Awaited<ReturnType<typeof compileProjectCached>>, jobId: string) =>
  (
    project.jobs.find((j) => j.plan.id === jobId)!.definition.States as Record<
      string,
      { Retry?: { ErrorEquals: string[]; MaxAttempts: number }[] }
    >
  )["work"]?.Retry?.find((r) => r.ErrorEquals[0] === "States.ALL")?.MaxAttempts;

describe("the compiled-jobs cache of stepjobs/testing", () => {
  it("a warm start returns what a fresh compile returns, entries as absolute paths", async () => {
    const cold = await compileProjectCached(root, "src/jobs");
    expect(cacheFiles()).toHaveLength(1);
    const warm = await compileProjectCached(root, "src/jobs");
    const fresh = compileProject({ root, jobsDir: "src/jobs" });
    expect(warm).toEqual(fresh);
    expect(cold).toEqual(fresh);
    expect(warm.jobs[0]!.entry).toBe(path.join(root, "src", "jobs", "a.ts"));
  });

  it("sees an edit of the client file the retry defaults come from", async () => {
    expect(retryOf(await compileProjectCached(root, "src/jobs"), "a")).toBe(1);
    fs.writeFileSync(path.join(root, "src", "trigger.ts"), client(5));
    expect(retryOf(await compileProjectCached(root, "src/jobs"), "a")).toBe(4);
  });

  it("sees a new job file, an edited one and a removed one", async () => {
    await compileProjectCached(root, "src/jobs");
    fs.writeFileSync(path.join(root, "src", "jobs", "b.ts"), job("b", "b.happened"));
    expect((await compileProjectCached(root, "src/jobs")).jobs.map((j) => j.plan.trigger.event)).toEqual(["a.happened", "b.happened"]);
    fs.writeFileSync(path.join(root, "src", "jobs", "a.ts"), job("a", "a.changed"));
    expect((await compileProjectCached(root, "src/jobs")).jobs.map((j) => j.plan.trigger.event)).toEqual(["a.changed", "b.happened"]);
    fs.rmSync(path.join(root, "src", "jobs", "b.ts"));
    expect((await compileProjectCached(root, "src/jobs")).jobs.map((j) => j.plan.id)).toEqual(["a"]);
  });

  it("sees an edit of a module a zod schema is imported from (what the job's module import read)", async () => {
    fs.symlinkSync(path.join(ROOT, "node_modules", "zod"), path.join(root, "node_modules", "zod"));
    fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ type: "module" }));
    const schema = (field: string) => `import { z } from "zod";\nexport const shape = z.object({ ${field}: z.string() });\n`;
    fs.writeFileSync(path.join(root, "src", "schema.ts"), schema("first"));
    fs.writeFileSync(
      path.join(root, "src", "jobs", "a.ts"),
      `import { client } from "../trigger";\nimport { shape } from "../schema";\n` +
        `client.defineJob({ id: "a", name: "a", version: "1.0.0", trigger: client.on("a.happened", { schema: shape }), run: async () => {} });\n`,
    );
    const requiredOf = async () => (await compileProjectCached(root, "src/jobs")).jobs[0]?.plan.trigger.schema.required;
    expect(await requiredOf()).toEqual(["first"]);
    expect(await requiredOf()).toEqual(["first"]);
    fs.writeFileSync(path.join(root, "src", "schema.ts"), schema("second"));
    expect(await requiredOf()).toEqual(["second"]);
  });

  it("does not keep a project with errors, and writes nothing where there is no node_modules", async () => {
    fs.writeFileSync(path.join(root, "src", "jobs", "a.ts"), "client.defineJob({ id: ");
    expect((await compileProjectCached(root, "src/jobs")).errors.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(root, "node_modules", ".cache"))).toBe(false);
    fs.rmSync(path.join(root, "node_modules"), { recursive: true });
    fs.writeFileSync(path.join(root, "src", "jobs", "a.ts"), job("a", "a.happened"));
    expect((await compileProjectCached(root, "src/jobs")).jobs).toHaveLength(1);
    expect(fs.existsSync(path.join(root, "node_modules"))).toBe(false);
  });

  it("a warm start in a new process does not load TypeScript; a cold one does", async () => {
    const script = path.join(root, "warm.mts");
    fs.writeFileSync(
      script,
      `import { createRequire } from "node:module";
const { compileProjectCached } = await import(${JSON.stringify(path.join(ROOT, "lib", "testing", "compiled-cache.ts"))});
const project = await compileProjectCached(${JSON.stringify(root)}, "src/jobs");
const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => f.endsWith("/typescript/lib/typescript.js"));
console.log(project.jobs.map((j) => j.plan.id).join(","), loaded ? "typescript loaded" : "no typescript");
`,
    );
    const run = () => execFileSync(process.execPath, ["--import", "tsx", script], { cwd: ROOT, encoding: "utf8" }).trim();
    expect(run()).toBe("a typescript loaded");
    expect(run()).toBe("a no typescript");
  });
});
