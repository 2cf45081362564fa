import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { freePort, ROOT, sleep } from "../e2e/helpers.ts";

/**
 * The package as a user gets it: `npm pack` (which builds dist/), installed into a scratch project, whose
 * `stepjobs init demo` scaffolds a project; that project installs the tarball, type-checks, synthesizes (stepjobs
 * and CDK) and runs the tutorial event through `stepjobs dev`. npm uses its cache (`--prefer-offline`).
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-pack-"));
const demo = path.join(work, "demo");
let tarball = "";
const ENV = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NO_COLOR: "1", PORT: "" };
delete (ENV as Record<string, string | undefined>).TRIGGER_API_KEY;

function run(cmd: string, args: string[], cwd: string): { code: number; out: string } {
  const result = spawnSync(cmd, args, { cwd, env: ENV, encoding: "utf8", timeout: 180_000 });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}
const npm = (args: string[], cwd: string) => run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], cwd);
/** A command the demo project installed (what `npx <name>` runs, without npx's own notices). */
const bin = (name: string) => path.join(demo, "node_modules/.bin", name);

beforeAll(() => {
  const packed = run("npm", ["pack", "--pack-destination", work, "--silent"], ROOT);
  expect(packed.code, packed.out).toBe(0);
  tarball = path.join(work, packed.out.trim().split("\n").pop()!);
  const tool = path.join(work, "tool");
  fs.mkdirSync(tool);
  fs.writeFileSync(path.join(tool, "package.json"), '{ "name": "tool", "private": true }');
  expect(npm(["install", tarball], tool).code).toBe(0);
  const init = run(path.join(tool, "node_modules/.bin/stepjobs"), ["init", demo], work);
  expect(init.code, init.out).toBe(0);
  const installed = npm(["install", tarball], demo);
  expect(installed.code, installed.out).toBe(0);
}, 300_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("the packed package in a fresh project", () => {
  it("ships compiled JavaScript, types, the CLI, the prebuilt dashboard and the example app, and no TypeScript sources", () => {
    const listed = run("tar", ["-tzf", tarball], work).out.split("\n").filter(Boolean);
    for (const file of [
      "package/dist/lib/sdk/index.js",
      "package/dist/lib/sdk/index.d.ts",
      "package/dist/lib/constructs/index.js",
      "package/dist/lambdas/runner.js",
      "package/dist/bin/stepjobs.js",
      "package/dist/lib/dashboard/assets/app.js",
      "package/bin/stepjobs.mjs",
      "package/src/jobs/my-first-workflow.ts",
    ]) {
      expect(listed).toContain(file);
    }
    expect(listed.filter((f) => f.startsWith("package/lib/") || f.startsWith("package/test/"))).toEqual([]);
  });

  it("stepjobs init refuses to overwrite, naming the file, and writes nothing", () => {
    const again = run(bin("stepjobs"), ["init", "."], demo);
    expect(again).toEqual({
      code: 1,
      out: "stepjobs init: package.json already exists; nothing was written (init only creates new files)\n",
    });
  });

  it("the scaffolded job type-checks against the package's types, and misusing a payload field's type is a type error", () => {
    expect(run(bin("tsc"), ["--noEmit"], demo)).toEqual({ code: 0, out: "" });
    const bad = path.join(demo, "src/jobs/bad.ts");
    fs.writeFileSync(
      bad,
      `import { client } from "../trigger";\nclient.defineJob({ id: "bad", name: "Bad", version: "1", trigger: client.on("bad", { schema: { type: "object", properties: { n: { type: "number" } }, required: ["n"] } }),\n  run: async (payload) => { const text: string = payload.n; return text; } });\n`,
    );
    const checked = run(bin("tsc"), ["--noEmit"], demo);
    fs.rmSync(bad);
    expect(checked.code).toBe(2);
    expect(checked.out).toBe("src/jobs/bad.ts(3,35): error TS2322: Type 'number' is not assignable to type 'string'.\n");
  });

  it("npx stepjobs synth writes the very ASL this repository compiles for the tutorial job; npx cdk synth bundles it", () => {
    const synth = run(bin("stepjobs"), ["synth"], demo);
    expect(synth.code, synth.out).toBe(0);
    const here = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.find((j) => j.plan.id === "my-first-workflow")!;
    expect(JSON.parse(fs.readFileSync(path.join(demo, "out/my-first-workflow.asl.json"), "utf8"))).toEqual(here.definition);
    const cdk = run(bin("cdk"), ["synth", "--quiet"], demo);
    expect(cdk.code, cdk.out).toBe(0);
    const template = JSON.parse(fs.readFileSync(path.join(demo, "cdk.out/Demo.template.json"), "utf8"));
    const machines = Object.values<{ Type: string; Properties: { DefinitionString: string } }>(template.Resources).filter(
      (r) => r.Type === "AWS::StepFunctions::StateMachine",
    );
    expect(machines.map((m) => JSON.parse(m.Properties.DefinitionString))).toEqual([here.definition]);
  });

  it("npx stepjobs dev serves the API and dashboard; the tutorial event runs: attempt 1 fails, attempt 2 succeeds", async () => {
    const port = await freePort();
    const child = spawn(bin("stepjobs"), ["dev", "--port", String(port)], { cwd: demo, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    try {
      for (let i = 0; i < 300 && !output.includes("API and dashboard on"); i++) await sleep(100);
      const key = /^TRIGGER_API_KEY=(.+)$/m.exec(fs.readFileSync(path.join(demo, ".env"), "utf8"))![1];
      const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
      const base = `http://127.0.0.1:${port}`;
      const posted = await fetch(`${base}/api/v1/events`, {
        method: "POST",
        headers,
        body: JSON.stringify({ name: "my.event", id: "pack-1", payload: { message: "Hello", shouldFail: true } }),
      });
      expect(posted.status).toBe(202);
      let run: any;
      for (let i = 0; i < 200; i++) {
        run = await (await fetch(`${base}/api/v1/runs/my-first-workflow--pack-1`, { headers })).json();
        if (run.status && run.status !== "RUNNING") break;
        await sleep(100);
      }
      expect(run.status).toBe("SUCCEEDED");
      expect(run.tasks.map((t: any) => [t.id, t.attempts.map((a: any) => a.status)])).toEqual([
        ["process-incoming-data", ["FAILED", "SUCCEEDED"]],
        ["send-confirmation", ["SUCCEEDED"]],
      ]);
      const page = await fetch(`${base}/runs`);
      expect([page.status, (await page.text()).includes('<div id="app">')]).toEqual([200, true]);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
