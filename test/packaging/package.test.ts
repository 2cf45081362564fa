import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import { freePort, ROOT, sleep } from "../e2e/helpers.ts";
import { loadedPackages, recordingModules } from "../helpers/loaded-packages.ts";

/**
 * The package as a user gets it today, following docs/getting-started.md: `npm pack` (which builds dist/), then
 * `npx <tarball> init demo`, then a plain `npm install` in the new project, which type-checks, synthesizes (stepjobs
 * and CDK) and runs the tutorial event through `stepjobs dev`, all on this machine's Node 20: the oldest line the
 * package declares. npm uses its cache (`--prefer-offline`).
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-pack-"));
const demo = path.join(work, "demo");
let tarball = "";
const ENV = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NO_COLOR: "1", PORT: "" };
delete (ENV as Record<string, string | undefined>).TRIGGER_API_KEY;
delete (ENV as Record<string, string | undefined>).TRIGGER_API_URL;
const MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): { code: number; out: string } {
  const result = spawnSync(cmd, args, { cwd, env: { ...ENV, ...env }, encoding: "utf8", timeout: 180_000 });
  return { code: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}
const npm = (args: string[], cwd: string) => run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], cwd);
/** A command the demo project installed (what `npx <name>` runs, without npx's own notices). */
const bin = (name: string) => path.join(demo, "node_modules/.bin", name);

let initialized = { code: -1, out: "" };
let installed = { code: -1, out: "" };
beforeAll(() => {
  // The getting-started steps, from the directory holding the clone: here the tarball goes into work/stepjobs/
  // (where `npm pack` in a clone named stepjobs/ would write it), not into this repository.
  fs.mkdirSync(path.join(work, "stepjobs"));
  const packed = run("npm", ["pack", "--pack-destination", path.join(work, "stepjobs"), "--silent"], ROOT);
  expect(packed.code, packed.out).toBe(0);
  expect(packed.out.trim().split("\n").pop()).toBe("stepjobs-0.1.0.tgz");
  tarball = path.join(work, "stepjobs/stepjobs-0.1.0.tgz");
  initialized = run("npx", ["--yes", "--prefer-offline", "./stepjobs/stepjobs-0.1.0.tgz", "init", "demo"], work);
  installed = npm(["install"], demo);
}, 400_000);

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  // npx installed the tarball into npm's cache (`_npx/<hash>`, its package.json naming the spec): remove that copy too.
  const npxDir = path.join(run("npm", ["config", "get", "cache"], ROOT).out.trim(), "_npx");
  for (const entry of fs.existsSync(npxDir) ? fs.readdirSync(npxDir) : []) {
    const manifest = path.join(npxDir, entry, "package.json");
    if (fs.existsSync(manifest) && fs.readFileSync(manifest, "utf8").includes(path.basename(work)))
      fs.rmSync(path.join(npxDir, entry), { recursive: true, force: true });
  }
});

describe("the packed package in a fresh project", () => {
  it("npx <tarball> init demo creates the project and prints its next steps, and nothing else (no npm warning)", () => {
    expect(initialized).toEqual({
      code: 0,
      out:
        "created a stepjobs project in demo\n\n  cd demo\n  npm install\n  npm run dev            # API and dashboard on http://localhost:8080\n\n" +
        "then, from another terminal in the project, send the tutorial's event (the key is in .env):\n" +
        "  export TRIGGER_API_KEY=$(grep '^TRIGGER_API_KEY=' .env | cut -d= -f2-)\n" +
        '  curl -X POST http://localhost:8080/api/v1/events -H "Authorization: Bearer $TRIGGER_API_KEY" \\\n' +
        '    -H "Content-Type: application/json" -d \'{"name":"my.event","payload":{"message":"Hello","shouldFail":true}}\'\n',
    });
  });

  it("the project depends on the tarball init ran from, so a plain npm install works and prints no warning", () => {
    const project = JSON.parse(fs.readFileSync(path.join(demo, "package.json"), "utf8"));
    expect([project.dependencies.stepjobs, project.allowScripts]).toEqual([`file:${tarball}`, { esbuild: true, "classic-level": true }]);
    expect(installed.code, installed.out).toBe(0);
    // No EBADENGINE (aws-local-stepfunctions declares node >=22; the package bundles it) and no unapproved install script.
    expect(installed.out.split("\n").filter((line) => /warn|ERR/i.test(line))).toEqual([]);
  });

  it("declares Node ^20.20.0 || >=22, and this machine runs the oldest of those lines, where every test in this file runs", () => {
    expect(MANIFEST.engines).toEqual({ node: "^20.20.0 || >=22" });
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
    expect([major, minor >= 20]).toEqual([20, true]);
  });

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
      "package/node_modules/aws-local-stepfunctions/package.json",
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
  }, 180_000);

  it("npm test runs the scaffolded job tests on stepjobs/testing from the installed package (node:test); CommonJS can require it", () => {
    const tested = npm(["test"], demo);
    expect(tested.code, tested.out).toBe(0);
    expect(tested.out).toMatch(/^# pass 3$/m);
    expect(tested.out).toMatch(/^# fail 0$/m);
    // A CommonJS consumer (jest's default, a .cjs test): Node requires the ES module package itself.
    const cjs = run(process.execPath, ["-e", "const t = require('stepjobs/testing'); process.stdout.write(typeof t.testJobs)"], demo);
    expect(cjs).toEqual({ code: 0, out: "function" });
  }, 180_000);

  it("npx stepjobs synth writes the very ASL this repository compiles for the tutorial job; npx cdk synth bundles it", () => {
    const synth = run(bin("stepjobs"), ["synth"], demo);
    expect(synth.code, synth.out).toBe(0);
    const here = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.find((j) => j.plan.id === "my-first-workflow")!;
    expect(JSON.parse(fs.readFileSync(path.join(demo, "out/my-first-workflow.asl.json"), "utf8"))).toEqual(here.definition);
    const cdk = run(bin("cdk"), ["synth", "--quiet"], demo);
    expect(cdk.code, cdk.out).toBe(0);
    // The state machines live in the job groups' nested stacks.
    const templates = fs.readdirSync(path.join(demo, "cdk.out")).filter((f) => f.endsWith(".template.json"));
    const machines = templates
      .flatMap((f) =>
        Object.values<{ Type: string; Properties: { DefinitionString: string } }>(
          JSON.parse(fs.readFileSync(path.join(demo, "cdk.out", f), "utf8")).Resources,
        ),
      )
      .filter((r) => r.Type === "AWS::StepFunctions::StateMachine");
    expect(machines.map((m) => JSON.parse(m.Properties.DefinitionString))).toEqual([here.definition]);
  }, 180_000);

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
      let tutorial: any;
      for (let i = 0; i < 200; i++) {
        tutorial = await (await fetch(`${base}/api/v1/runs/my-first-workflow--pack-1`, { headers })).json();
        if (tutorial.status && tutorial.status !== "RUNNING") break;
        await sleep(100);
      }
      expect(tutorial.status).toBe("SUCCEEDED");
      expect(tutorial.tasks.map((t: any) => [t.id, t.attempts.map((a: any) => a.status)])).toEqual([
        ["process-incoming-data", ["FAILED", "SUCCEEDED"]],
        ["send-confirmation", ["SUCCEEDED"]],
      ]);
      const page = await fetch(`${base}/runs`);
      expect([page.status, (await page.text()).includes('<div id="app">')]).toEqual([200, true]);

      // The CLI finds this dev on its random port by itself, and loads no package but its own to answer.
      const log = path.join(work, "modules.log");
      const runs = run(bin("stepjobs"), ["runs"], demo, recordingModules(log));
      expect([runs.code, runs.out.split("  ").slice(0, 3)]).toEqual([0, ["my-first-workflow--pack-1", "my-first-workflow", "SUCCEEDED"]]);
      expect(loadedPackages(log).filter((name) => name !== "stepjobs")).toEqual([]);
    } finally {
      child.kill("SIGTERM");
    }
  }, 120_000);
});
