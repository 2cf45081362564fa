import fs from "node:fs";
import path from "node:path";
import { checkAslRanges } from "../compiler/check-asl.ts";
import { compileProject } from "../compiler/compile-project.ts";
import { describeRetry } from "../compiler/describe-retry.ts";
import { describeTrigger } from "../compiler/describe-trigger.ts";
import { formatLocation } from "../sdk/errors.ts";
import { type CommandRun, parseCommandArgs } from "./commands.ts";

/**
 * `stepjobs synth [--out DIR] [--jobs DIR]`: compiles every job to `<jobId>.asl.json` (paste it into
 * Workflow Studio) and prints one line per job. Job errors print one line each with file:line:col, exit 1.
 */
export const synthCommand: CommandRun = {
  async run(args) {
    const { values } = parseCommandArgs(
      { options: { out: { type: "string", default: "out" }, jobs: { type: "string", default: "src/jobs" } } },
      args,
    );
    const root = process.cwd();
    const project = compileProject({ root, jobsDir: values.jobs! });
    for (const w of project.warnings) process.stderr.write(`${formatLocation(w.location)}: warning: ${w.message}\n`);
    for (const e of project.errors) process.stderr.write(`${e.message}\n`);
    if (project.errors.length > 0) return 1;
    if (project.jobs.length === 0) {
      process.stderr.write(`no jobs found in ${values.jobs}: add a file that calls client.defineJob({...})\n`);
      return 1;
    }
    const out = path.resolve(root, values.out!);
    fs.mkdirSync(out, { recursive: true });
    for (const job of project.jobs) {
      const problems = checkAslRanges(job.definition);
      if (problems.length > 0) {
        for (const p of problems) process.stderr.write(`${formatLocation(job.plan.location)}: ${p}\n`);
        return 1;
      }
      const file = path.join(out, `${job.plan.id}.asl.json`);
      fs.writeFileSync(file, JSON.stringify(job.definition, null, 2) + "\n");
      const states = Object.keys(job.definition.States).length;
      const count = job.plan.tasks.length;
      const tasks = job.plan.tasks.map((t) => `${t.id} (${describeRetry(t.retry)})`).join(", ") || "no tasks";
      process.stdout.write(
        `${job.plan.id}  on ${describeTrigger(job.plan.trigger)}  ${states} states  ${count} task${count === 1 ? "" : "s"}: ${tasks}  -> ${path.relative(root, file)}\n`,
      );
    }
    return 0;
  },
};
