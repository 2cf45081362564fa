import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { initFiles, stackName, stepjobsDependency, writeNewFiles } from "../../lib/cli/init.ts";
import { runCli } from "../e2e/helpers.ts";
import { ROOT } from "../helpers/load-job.ts";

describe("stepjobs init", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const files = initFiles("demo", { pkg, newKey: (prefix) => `${prefix}FIXED`, stepjobs: "^0.1.0" });

  it("writes the project files the issue lists, the tutorial job verbatim from this package", () => {
    expect([...files.keys()]).toEqual([
      "package.json",
      "tsconfig.json",
      "cdk.json",
      "bin/app.ts",
      "src/trigger.ts",
      "src/jobs/my-first-workflow.ts",
      "test/my-first-workflow.test.ts",
      ".env",
      ".gitignore",
    ]);
    expect(files.get("src/jobs/my-first-workflow.ts")).toBe(fs.readFileSync(path.join(ROOT, "src/jobs/my-first-workflow.ts"), "utf8"));
    // The job's tests, on stepjobs/testing: the example app's own (test/app/example-app.test.ts runs them), shipped beside its job.
    expect(files.get("test/my-first-workflow.test.ts")).toBe(
      fs.readFileSync(path.join(ROOT, "src/jobs/my-first-workflow.test.ts"), "utf8"),
    );
    expect(files.get(".env")).toContain("\nTRIGGER_API_KEY=tr_dev_FIXED\nTRIGGER_PUBLIC_KEY=pk_dev_FIXED\n");
    // Only the key's own line names the variable, so `grep TRIGGER_API_KEY .env` finds the key alone.
    expect(
      files
        .get(".env")!
        .split("\n")
        .filter((line) => line.includes("TRIGGER_API_KEY")),
    ).toEqual(["TRIGGER_API_KEY=tr_dev_FIXED"]);
  });

  it("package.json has the dev/test/deploy scripts and this package's pinned versions", () => {
    const project = JSON.parse(files.get("package.json")!);
    expect(project.scripts).toEqual({
      dev: "stepjobs dev",
      test: "tsc --noEmit && node --import tsx --test test/*.test.ts",
      deploy: "cdk deploy",
      synth: "stepjobs synth",
    });
    expect(project.allowScripts).toEqual({ esbuild: true, "classic-level": true });
    expect(project.dependencies).toEqual({
      stepjobs: "^0.1.0",
      "aws-cdk-lib": pkg.devDependencies["aws-cdk-lib"],
      constructs: pkg.devDependencies.constructs,
    });
    expect(project.devDependencies).toEqual({
      "@types/node": pkg.devDependencies["@types/node"],
      "aws-cdk": pkg.devDependencies["aws-cdk"],
      tsx: pkg.dependencies.tsx,
      typescript: pkg.dependencies.typescript ?? pkg.devDependencies.typescript,
    });
  });

  it("depends on the tarball or directory stepjobs was installed from (npx ./stepjobs-0.1.0.tgz), else on the registry", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-init-dep-"));
    const installer = path.join(dir, "tool");
    fs.mkdirSync(path.join(installer, "node_modules/stepjobs"), { recursive: true });
    const manifest = (spec: string) =>
      fs.writeFileSync(path.join(installer, "package.json"), JSON.stringify({ dependencies: { stepjobs: spec } }));
    manifest("file:../stepjobs-0.1.0.tgz");
    expect(stepjobsDependency(path.join(installer, "node_modules/stepjobs"), "0.1.0")).toBe(`file:${dir}/stepjobs-0.1.0.tgz`);
    manifest("0.1.0");
    expect(stepjobsDependency(path.join(installer, "node_modules/stepjobs"), "0.1.0")).toBe("^0.1.0");
    // This repository itself (not under node_modules): the registry.
    expect(stepjobsDependency(ROOT, "0.1.0")).toBe("^0.1.0");
    fs.rmSync(dir, { recursive: true });
  });

  it("`stepjobs init .` prints the next steps without a `cd .`", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-init-here-"));
    const answer = await runCli(["init", "."], {}, dir);
    fs.rmSync(dir, { recursive: true });
    expect(answer).toEqual({
      code: 0,
      stdout:
        "created a stepjobs project in .\n\n  npm install\n  npm run dev            # API and dashboard on http://localhost:8080\n\n" +
        "then, from another terminal in the project, send the tutorial's event (the key is in .env):\n" +
        "  export TRIGGER_API_KEY=$(grep '^TRIGGER_API_KEY=' .env | cut -d= -f2-)\n" +
        '  curl -X POST http://localhost:8080/api/v1/events -H "Authorization: Bearer $TRIGGER_API_KEY" \\\n' +
        '    -H "Content-Type: application/json" -d \'{"name":"my.event","payload":{"message":"Hello","shouldFail":true}}\'\n',
      stderr: "",
    });
  });

  it.each([
    ["demo", "Demo"],
    ["my-app", "MyApp"],
    ["@acme/jobs", "Jobs"],
    ["2fast", "App2fast"],
  ])("stack name of %s is %s", (name, stack) => expect(stackName(name)).toBe(stack));

  it("refuses when any file exists, naming it, and writes nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-init-"));
    fs.mkdirSync(path.join(dir, "src/jobs"), { recursive: true });
    fs.writeFileSync(path.join(dir, "src/jobs/my-first-workflow.ts"), "// mine");
    expect(writeNewFiles(dir, files)).toEqual({ existing: "src/jobs/my-first-workflow.ts" });
    expect(fs.readdirSync(dir)).toEqual(["src"]);
    expect(fs.readFileSync(path.join(dir, "src/jobs/my-first-workflow.ts"), "utf8")).toBe("// mine");
    fs.rmSync(dir, { recursive: true });
  });
});
