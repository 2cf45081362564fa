import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { StepJobs, type StepJobsProps } from "../../lib/constructs/index.ts";
import { ROOT } from "../helpers/load-job.ts";
import type { Template, TemplateResource } from "./sim/cloudformation.ts";

/** A synthesized cloud assembly: its directory and every template in it (the stack's and its nested stacks'). */
export interface Assembly {
  readonly dir: string;
  readonly stackName: string;
  /** The stack's template. */
  readonly template: Template;
  /** Nested stack templates, by file name. */
  readonly nested: ReadonlyMap<string, Template>;
  /** Every resource of the stack and its nested stacks, with the template file it is in. */
  resources(type?: string): { file: string; logicalId: string; resource: TemplateResource & { Properties: Record<string, any> } }[];
}

/** Options of {@link synthesize}. */
export interface SynthOptions extends Omit<StepJobsProps, "projectRoot"> {
  /** @default "StepJobs" */
  readonly stackName?: string;
  /** Run CDK's built-in CloudFormation validation, as `cdk synth` does (about 5 s). @default false */
  readonly cdkValidation?: boolean;
  /** Where to write the assembly. @default a fresh temporary directory */
  readonly outdir?: string;
  /** More construct props made in the stack (an SNS topic for `alarmTopic`, ...). */
  readonly configure?: (stack: Stack) => Partial<StepJobsProps>;
}

/**
 * Synthesizes a stepjobs app exactly as `npx cdk synth` does with bin/app.ts (an App, one Stack, the StepJobs
 * construct), into a directory of its own, and reads back what `cdk deploy` would ship.
 */
export function synthesize(options: SynthOptions = {}): Assembly {
  const { stackName = "StepJobs", cdkValidation = false, outdir, configure, ...props } = options;
  const dir = outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-assembly-"));
  const previous = process.env.CDK_VALIDATION;
  if (!cdkValidation) process.env.CDK_VALIDATION = "false";
  try {
    const app = new App({ outdir: dir });
    const stack = new Stack(app, stackName, { description: "stepjobs: durable jobs as Step Functions state machines" });
    new StepJobs(stack, "App", { projectRoot: ROOT, ...props, ...configure?.(stack) });
    app.synth();
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
  return readAssembly(dir, stackName);
}

/** Reads a synthesized assembly's templates. */
export function readAssembly(dir: string, stackName: string): Assembly {
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as Template;
  const template = read(`${stackName}.template.json`);
  const nested = new Map(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".nested.template.json"))
      .map((f) => [f, read(f)] as const),
  );
  const all = [[`${stackName}.template.json`, template] as const, ...nested];
  return {
    dir,
    stackName,
    template,
    nested,
    resources: (type) =>
      all.flatMap(([file, t]) =>
        Object.entries(t.Resources)
          .filter(([, r]) => type === undefined || r.Type === type)
          .map(([logicalId, resource]) => ({ file, logicalId, resource: { ...resource, Properties: resource.Properties ?? {} } })),
      ),
  };
}
