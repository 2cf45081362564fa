import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CompiledJob, compileProject } from "../../lib/compiler/compile-project.ts";
import { JobMachine } from "../../lib/local/job-machine.ts";
import { ValidatedAslCache } from "../../lib/local/validated-asl-cache.ts";
import { registeredJobs } from "../../lib/sdk/client.ts";
import { ROOT } from "../helpers/load-job.ts";

/** The ASL validation `stepjobs dev` skips for a definition that passed before (node_modules/.cache/stepjobs). */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-asl-cache-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let tutorial: CompiledJob;
beforeAll(async () => {
  tutorial = compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.find((j) => j.plan.id === "my-first-workflow")!;
  await import(tutorial.entry);
});

describe("ValidatedAslCache", () => {
  it("remembers a definition across instances (the file), and only that definition", () => {
    const file = path.join(dir, "a", "validated-asl.json");
    const first = new ValidatedAslCache(file);
    expect(first.has({ StartAt: "A" })).toBe(false);
    first.add({ StartAt: "A" });
    const second = new ValidatedAslCache(file);
    expect([second.has({ StartAt: "A" }), second.has({ StartAt: "B" })]).toEqual([true, false]);
  });

  it("a corrupt or unwritable cache is only slower", () => {
    const corrupt = path.join(dir, "corrupt.json");
    fs.writeFileSync(corrupt, "{not json");
    expect(new ValidatedAslCache(corrupt).has({ StartAt: "A" })).toBe(false);
    const unwritable = new ValidatedAslCache(path.join(corrupt, "below-a-file.json"));
    unwritable.add({ StartAt: "A" });
    expect(unwritable.has({ StartAt: "A" })).toBe(true);
  });

  it("a JobMachine validates a definition the cache does not hold, records it, and skips validation next time", () => {
    const job = registeredJobs().get("my-first-workflow")!;
    const cache = new ValidatedAslCache(path.join(dir, "b.json"));
    // An invalid definition shows whether validation ran: the library refuses it only when it validates.
    const broken: CompiledJob = { ...tutorial, definition: { ...tutorial.definition, StartAt: "NoSuchState" } };
    expect(() => new JobMachine(job, broken, { validated: cache })).toThrow(/NoSuchState|StartAt/);
    const good = new JobMachine(job, tutorial, { validated: cache });
    expect(cache.has(good.definition)).toBe(true);
    const markedValid = new ValidatedAslCache(path.join(dir, "c.json"));
    markedValid.add(new JobMachine(job, broken, { validated: { has: () => true, add: () => {} } }).definition);
    expect(() => new JobMachine(job, broken, { validated: markedValid })).not.toThrow();
  });

  it("the next start (a new cache on the same file, the job compiled again) finds the definition and skips validation", () => {
    const job = registeredJobs().get("my-first-workflow")!;
    const file = path.join(dir, "d.json");
    const compileTutorial = () => compileProject({ root: ROOT, jobsDir: "src/jobs" }).jobs.find((j) => j.plan.id === "my-first-workflow")!;
    new JobMachine(job, compileTutorial(), { validated: new ValidatedAslCache(file) });
    const next = new ValidatedAslCache(file);
    const answers: boolean[] = [];
    const observed = {
      has(definition: unknown) {
        answers.push(next.has(definition));
        return answers.at(-1)!;
      },
      add: (definition: unknown) => next.add(definition),
    };
    new JobMachine(job, compileTutorial(), { validated: observed });
    expect(answers).toEqual([true]);
  });
});
