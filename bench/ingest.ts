import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileProject } from "../lib/compiler/compile-project.ts";
import { compileValidators, generateStandaloneValidators, type Validators } from "../lib/ingest/validate.ts";
import { timeMedian } from "./stats.ts";

/**
 * Ingest validation: events validated per second by the ajv standalone validators the ingest Lambda bundles, by
 * `ajv.compile` at cold start (what a Lambda without synth-time code generation would do), and by a hand-written
 * check of the tutorial schema (the floor); plus the one-time setup cost of each, as ratios.
 */
export async function benchIngest(mode: "quick" | "full") {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const plans = compileProject({ root, jobsDir: "src/jobs" }).jobs.map((j) => j.plan);
  const dir = fs.mkdtempSync(path.join(root, "node_modules", ".cache-bench-"));
  const file = path.join(dir, "validators.mjs");
  fs.writeFileSync(file, generateStandaloneValidators(plans));

  let importRound = 0;
  const importStandalone = async () => (await import(`${pathToFileURL(file).href}?round=${importRound++}`)).default as Validators;
  const setupReps = mode === "full" ? 30 : 10;
  const standaloneSetup = await timeMedian(importStandalone, setupReps, 2);
  const compileSetup = await timeMedian(() => compileValidators(plans), setupReps, 2);

  const standalone = (await importStandalone())["my-first-workflow"];
  const compiled = compileValidators(plans)["my-first-workflow"];
  if (!standalone || !compiled) throw new Error("no validator for my-first-workflow");
  const handWritten = (p: unknown): boolean => {
    if (typeof p !== "object" || p === null || Array.isArray(p)) return false;
    const o = p as Record<string, unknown>;
    for (const key of Object.keys(o)) if (key !== "message" && key !== "shouldFail") return false;
    return typeof o.message === "string" && typeof o.shouldFail === "boolean";
  };
  const payloads = [
    { message: "Hello via curl!", shouldFail: true },
    { message: "hi", shouldFail: false },
    { message: 1, extra: true },
  ];
  const batch = mode === "full" ? 100_000 : 20_000;
  // Each pass counts the payloads accepted, so the JIT cannot drop calls whose result is unused, and the count is
  // checked against the hand-written truth: a validator that answers wrongly cannot post a number.
  let expected = 0;
  for (let i = 0; i < batch; i++) if (handWritten(payloads[i % payloads.length])) expected++;
  const perSecond = async (check: (p: unknown) => unknown) => {
    let accepted = 0;
    const pass = () => {
      accepted = 0;
      for (let i = 0; i < batch; i++) if (check(payloads[i % payloads.length])) accepted++;
    };
    pass();
    if (accepted !== expected) throw new Error(`a validator accepted ${accepted} payloads; the schema accepts ${expected}`);
    const ms = await timeMedian(pass, mode === "full" ? 15 : 5);
    return Math.round((batch / ms) * 1000);
  };
  const rates = { standalone: await perSecond(standalone), compiled: await perSecond(compiled), handWritten: await perSecond(handWritten) };
  fs.rmSync(dir, { recursive: true, force: true });
  return [
    {
      validator: "ajv standalone (bundled)",
      "events/s": rates.standalone,
      "x hand-written": rates.standalone / rates.handWritten,
      "setup ms": standaloneSetup,
      "setup x standalone": 1,
    },
    {
      validator: "ajv.compile at cold start",
      "events/s": rates.compiled,
      "x hand-written": rates.compiled / rates.handWritten,
      "setup ms": compileSetup,
      "setup x standalone": compileSetup / standaloneSetup,
    },
    { validator: "hand-written check", "events/s": rates.handWritten, "x hand-written": 1, "setup ms": 0, "setup x standalone": 0 },
  ];
}
