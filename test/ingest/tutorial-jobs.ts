import { compileProject } from "../../lib/compiler/compile-project.ts";
import type { JobPlan } from "../../lib/compiler/job-plan.ts";

/** The example app's jobs (src/jobs: the tutorial's my-first-workflow and priority-workflow), as the compiler sees them. */
export function tutorialPlans(): { readonly myFirstWorkflow: JobPlan; readonly priorityWorkflow: JobPlan } {
  const project = compileProject({ root: process.cwd(), jobsDir: "src/jobs" });
  const plan = (id: string) => {
    const job = project.jobs.find((j) => j.plan.id === id);
    if (!job) throw new Error(`src/jobs has no job "${id}" (errors: ${JSON.stringify(project.errors)})`);
    return job.plan;
  };
  return { myFirstWorkflow: plan("my-first-workflow"), priorityWorkflow: plan("priority-workflow") };
}
