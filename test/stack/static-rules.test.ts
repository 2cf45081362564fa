import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobGroupOf } from "../../lib/constructs/step-jobs.ts";
import { ROOT } from "../helpers/load-job.ts";
import { generateApp } from "./generated-app.ts";
import { DeployedApp } from "./lane.ts";
import { iamActionsExist, STATIC_RULES } from "./rules/index.ts";
import type { DeployedApp as RuleInput } from "./rules/types.ts";
import type { DeployedResource, SimStack } from "./sim/cloudformation.ts";
import { synthesize } from "./synth.ts";
import { defined } from "../helpers/defined.ts";

/**
 * What an emulator cannot show by running: the limits AWS enforces at deploy time or later. Checked on the deployed
 * (resolved) resources of the example app, the steps fixtures and a generated app of 150 jobs, which also deploys
 * and runs. Every resource of each was already checked against the CloudFormation resource specification by the
 * simulator's deploy.
 */
const APPS = [
  { name: "the example app", stackName: "StepJobs", jobsDir: "src/jobs" },
  { name: "the steps fixtures", stackName: "Steps", jobsDir: "test/fixtures/steps" },
  { name: "a generated app of 150 jobs", stackName: "Big", jobsDir: () => generateApp(ROOT, 150) },
] as const;

const deployed = new Map<string, DeployedApp>();

function ruleInput(app: DeployedApp): RuleInput {
  return { stacks: [...app.cloud.deploymentStacks()] };
}

beforeAll(async () => {
  for (const { name, stackName, jobsDir } of APPS) {
    const assembly = synthesize({ stackName, jobsDir: typeof jobsDir === "function" ? jobsDir() : jobsDir });
    deployed.set(name, await DeployedApp.deploy(assembly));
  }
}, 240_000);
afterAll(async () => {
  for (const app of deployed.values()) await app.close();
});

/** A static rule by its name (its file's). */
const ruleNamed = (name: string) => defined(STATIC_RULES[name], `the rule ${name}`);

describe.each(APPS.map((a) => a.name))("%s", (name) => {
  it.each(Object.keys(STATIC_RULES))("passes %s", (rule) => {
    expect(defined(STATIC_RULES[rule])(ruleInput(defined(deployed.get(name))))).toEqual([]);
  });

  it("grants only IAM actions that exist, with condition keys they support (Service Authorization Reference data)", async () => {
    expect(await iamActionsExist(ruleInput(deployed.get(name)!))).toEqual([]);
  });
});

describe("the generated app of 150 jobs", () => {
  it("deploys in job groups of at most 50 jobs each, every stack under 500 resources, and its first and last jobs run", async () => {
    const app = deployed.get("a generated app of 150 jobs")!;
    const stacks = [...app.cloud.deploymentStacks()];
    expect(stacks.length).toBeGreaterThan(1);
    expect(Math.max(...stacks.map((s) => s.resources.size))).toBeLessThan(500);
    expect(app.cloud.sfn.stateMachines.size).toBe(150);
    for (const [i, id] of [
      [0, "job-000"],
      [148, "job-148"],
    ] as const) {
      const answer = await app.post({ name: `event.${i}`, id: `big-${i}`, payload: { n: i } });
      expect(answer.status).toBe(202);
      const run = await app.run(`${id}--big-${i}`);
      expect([run.status, JSON.parse(run.output ?? "null")]).toEqual(["SUCCEEDED", { n: i }]);
    }
    const groups = new Set(Array.from({ length: 150 }, (_, i) => jobGroupOf(`job-${String(i).padStart(3, "0")}`)));
    expect(stacks.length).toBe(1 + groups.size);
    app.expectNoDenials();
  });
});

describe("the rules can fail", () => {
  /** A one-resource deployment: what a rule reads, with one resource of a given shape. */
  function single(type: string, properties: Record<string, unknown>, extra: Partial<DeployedResource> = {}): RuleInput {
    const stack = { name: "S", resources: new Map(), template: { Resources: {} } } as unknown as SimStack;
    stack.resources.set("R", { logicalId: "R", type, properties, physicalId: "r", attributes: {}, ...extra });
    return { stacks: [stack] };
  }

  it("each names its violation", async () => {
    const statement = { Effect: "Allow", Action: "sqs:SendMessage", Resource: "*" };
    expect(
      ruleNamed("sqs-policy-size")(single("AWS::SQS::QueuePolicy", { PolicyDocument: { Statement: Array(21).fill(statement) } })),
    ).toEqual(["S/R: 21 statements, SQS allows 20"]);
    expect(
      ruleNamed("lambda-environment-size")(single("AWS::Lambda::Function", { Environment: { Variables: { ARNS: "x".repeat(4100) } } })),
    ).toEqual(["S/R: environment is 4104 bytes, Lambda allows 4,096"]);
    expect(ruleNamed("name-lengths")(single("AWS::Lambda::Function", {}, { physicalId: "f".repeat(65) }))).toEqual([
      `S/R: name "${"f".repeat(65)}" is 65 characters, AWS::Lambda::Function allows 64`,
    ]);
    expect(ruleNamed("retained-versions")(single("AWS::StepFunctions::StateMachineVersion", {}))).toEqual(["S/R is not retained"]);
    expect(
      ruleNamed("vended-log-groups")(
        single("AWS::StepFunctions::StateMachine", {
          LoggingConfiguration: { Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: "arn:aws:logs:r:a:log-group:mine:*" } }] },
        }),
      ),
    ).toEqual(["S/R logs to arn:aws:logs:r:a:log-group:mine:*, not under /aws/vendedlogs/"]);
    expect(
      ruleNamed("role-policy-size")(
        single("AWS::IAM::Policy", { Roles: ["big"], PolicyDocument: { Statement: Array(200).fill(statement) } }),
      ),
    ).toEqual(["role big: inline policies are 12215 characters, IAM allows 10,240"]);
    const typo = { Effect: "Allow", Action: "states:StartExecutoin", Resource: "*" };
    const badKey = {
      Effect: "Allow",
      Action: "states:StartExecution",
      Resource: "*",
      Condition: { StringEquals: { "states:Qualifier": "live" } },
    };
    expect(await iamActionsExist(single("AWS::IAM::Policy", { PolicyDocument: { Statement: [typo, badKey] } }))).toEqual([
      "S/R: states:StartExecutoin is not an IAM action",
      "S/R: states:StartExecution is conditioned on states:Qualifier, which states does not have",
    ]);
  });
});
