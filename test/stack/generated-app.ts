import fs from "node:fs";
import path from "node:path";

/**
 * A generated app of `count` jobs, as a big user project would have them: each job listens to its own event, half of
 * them run two tasks and the rest one, every fifth one waits, every tenth is scheduled. Written under the project
 * root (so `stepjobs` resolves through tsconfig paths); returns the jobs directory relative to the root.
 */
export function generateApp(root: string, count: number, name = `generated-${count}`): string {
  const dir = path.join(root, ".stepjobs-test", name);
  const jobs = path.join(dir, "src", "jobs");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(jobs, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "src", "trigger.ts"),
    `import { TriggerClient } from "stepjobs";\n\nexport const client = new TriggerClient({ id: "${name}" });\n`,
  );
  for (let i = 0; i < count; i++) {
    const id = `job-${String(i).padStart(3, "0")}`;
    const trigger =
      i % 10 === 9
        ? `intervalTrigger({ seconds: ${60 * (1 + (i % 7))} })`
        : `client.on("event.${i}", { schema: { type: "object", properties: { n: { type: "number" } }, required: ["n"] } })`;
    const steps = [
      `    const a = await io.runTask("first-${i}", async () => ({ n: ${i} }), payload, { maxAttempts: ${1 + (i % 4)}, retryDelayInMs: 1000 });`,
      ...(i % 5 === 0 ? [`    await io.wait("pause-${i}", { seconds: ${1 + (i % 30)} });`] : []),
      ...(i % 2 === 0 ? [`    await io.runTask("second-${i}", async (p) => ({ done: p }));`] : []),
      `    return a;`,
    ];
    fs.writeFileSync(
      path.join(jobs, `${id}.ts`),
      `${i % 10 === 9 ? `import { intervalTrigger } from "stepjobs";\n` : ""}import { client } from "../trigger";\n\n` +
        `client.defineJob({\n  id: "${id}",\n  name: "Generated ${i}",\n  version: "1.0.0",\n  trigger: ${trigger},\n` +
        `  run: async (payload, io) => {\n${steps.join("\n")}\n  },\n});\n`,
    );
  }
  return path.relative(root, jobs);
}
