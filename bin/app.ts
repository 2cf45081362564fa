/**
 * The CDK app: one stack with every job in src/jobs. `npx cdk synth` works offline and without AWS
 * credentials; the template is environment-agnostic (no account or region baked in).
 */
import { App, Stack } from "aws-cdk-lib";
import { StepJobs } from "../lib/constructs/index.ts";

const app = new App();
const stack = new Stack(app, "StepJobs", { description: "stepjobs: durable jobs as Step Functions state machines" });
new StepJobs(stack, "App");
app.synth();
