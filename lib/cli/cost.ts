import { compileProject } from "../compiler/compile-project.ts";
import { estimateJobCost, type JobCostEstimate, type RunCounts } from "../compiler/estimate-cost.ts";
import { type CommandRun, parseCommandArgs } from "./commands.ts";
import { UsageError } from "./usage-error.ts";

/**
 * `stepjobs cost [--runs-per-month N] [--jobs DIR]`: per job, the state transitions and Lambda invocations of a
 * successful run and of one where every task is retried once (counted from the compiled ASL), and the monthly cost
 * at Standard and Express prices (lib/compiler/estimate-cost.ts cites them).
 */

const money = (dollars: number) => (dollars >= 100 ? `$${dollars.toFixed(0)}` : `$${dollars.toFixed(2)}`);
const shape = (c: RunCounts) => `${c.transitions} transitions, ${c.invocations} Lambda calls${c.events ? `, ${c.events} events` : ""}`;

/** The report's lines for these estimates at `runsPerMonth`. */
export function costReport(estimates: readonly JobCostEstimate[], runsPerMonth: number): string[] {
  const lines = [
    `estimated cost at ${runsPerMonth.toLocaleString("en-US")} runs per month (us-east-1 prices of 2026-11-25, Lambda compute not included)`,
  ];
  for (const e of estimates) {
    lines.push(
      "",
      `${e.jobId}`,
      `  succeeded run:           ${shape(e.succeeded)}  -> Standard ${money(e.succeeded.dollars.standard * runsPerMonth)}/month, Express ${money(e.succeeded.dollars.express * runsPerMonth)}/month`,
      `  each task retried once:  ${shape(e.retriedOnce)}  -> Standard ${money(e.retriedOnce.dollars.standard * runsPerMonth)}/month, Express ${money(e.retriedOnce.dollars.express * runsPerMonth)}/month`,
    );
  }
  return lines;
}

/** `stepjobs cost`. */
export const costCommand: CommandRun = {
  async run(args) {
    const { values } = parseCommandArgs(
      { options: { "runs-per-month": { type: "string", default: "100000" }, jobs: { type: "string", default: "src/jobs" } } },
      args,
    );
    const runsPerMonth = Number(values["runs-per-month"]);
    if (!Number.isInteger(runsPerMonth) || runsPerMonth < 0)
      throw new UsageError(`--runs-per-month must be a whole number, got "${values["runs-per-month"]}"`);
    const project = compileProject({ root: process.cwd(), jobsDir: values.jobs! });
    for (const e of project.errors) process.stderr.write(`${e.message}\n`);
    if (project.errors.length > 0) return 1;
    const estimates = project.jobs.map((j) => estimateJobCost(j.plan, j.definition));
    process.stdout.write(costReport(estimates, runsPerMonth).join("\n") + "\n");
    return 0;
  },
};
