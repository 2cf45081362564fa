import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { initFiles, stackName, writeNewFiles } from "../../lib/cli/init.ts";
import { ROOT } from "../helpers/load-job.ts";

describe("stepjobs init", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const files = initFiles("demo", pkg, (prefix) => `${prefix}FIXED`);

  it("writes the project files the issue lists, the tutorial job verbatim from this package", () => {
    expect([...files.keys()]).toEqual([
      "package.json",
      "tsconfig.json",
      "cdk.json",
      "bin/app.ts",
      "src/trigger.ts",
      "src/jobs/my-first-workflow.ts",
      ".env",
      ".gitignore",
    ]);
    expect(files.get("src/jobs/my-first-workflow.ts")).toBe(fs.readFileSync(path.join(ROOT, "src/jobs/my-first-workflow.ts"), "utf8"));
    expect(files.get(".env")).toContain("\nTRIGGER_API_KEY=tr_dev_FIXED\nTRIGGER_PUBLIC_KEY=pk_dev_FIXED\n");
  });

  it("package.json has the dev/test/deploy scripts and this package's pinned versions", () => {
    const project = JSON.parse(files.get("package.json")!);
    expect(project.scripts).toEqual({
      dev: "stepjobs dev",
      test: "tsc --noEmit && stepjobs synth",
      deploy: "cdk deploy",
      synth: "stepjobs synth",
    });
    expect(project.dependencies).toEqual({
      stepjobs: `^${pkg.version}`,
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
