import path from "node:path";
import { fileURLToPath } from "node:url";
import { compileProject } from "../../lib/compiler/compile-project.ts";
import type { AslDefinition } from "../../lib/compiler/render-state-machine.ts";
import type { RunInput } from "../../lib/runtime/run-state.ts";
import { type Job, registeredJobs } from "../../lib/sdk/client.ts";

/** The repository root, which `compileProject` reports paths against. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Imports a jobs directory (registering its jobs) and compiles it: the runtime Job and its ASL, by id. */
export async function loadJobs(jobsDir: string): Promise<Map<string, { job: Job<any>; definition: AslDefinition }>> {
  const project = compileProject({ root: ROOT, jobsDir });
  if (project.errors.length > 0) throw new Error(project.errors.map((e) => e.message).join("\n"));
  const out = new Map<string, { job: Job<any>; definition: AslDefinition }>();
  for (const compiled of project.jobs) {
    await import(compiled.entry);
    const job = registeredJobs().get(compiled.plan.id);
    if (!job) throw new Error(`${compiled.entry} did not register job ${compiled.plan.id}`);
    out.set(compiled.plan.id, { job, definition: compiled.definition });
  }
  return out;
}

/** An execution input as ingest would build it. */
export function runInput(eventName: string, payload: unknown, id = "evt-1"): RunInput {
  return { runId: `run-${id}`, event: { id, name: eventName, timestamp: "2026-11-25T00:00:00.000Z", payload } };
}
