import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ZodConversion } from "./zod-json-schema.ts";

/**
 * Trigger schemas synth cannot read from the source (a zod schema, a schema built in code): obtained the way
 * `stepjobs dev` and `stepjobs/testing` obtain a job, by importing its module and reading the job it registered, in a
 * child process so that synth stays synchronous (the CDK app builds its constructs synchronously) and the user's module
 * never runs inside the CDK app or the dev server's compiler. One child serves every such file of a compile.
 */

/** One job file whose jobs' schemas are wanted. */
export interface ModuleSchemaRequest {
  /** The path as the compiler prints it (relative to the project). */
  readonly file: string;
  readonly absolutePath: string;
  readonly jobIds: readonly string[];
}

/** A job's schema from its module: the JSON Schema, zod's problems, or why there is none. */
export type ModuleSchema = ZodConversion | { readonly problem: string };

/** What importing a job file gave: each requested job's schema, or the import's error. */
export type FileSchemas = { readonly jobs: Readonly<Record<string, ModuleSchema>> } | { readonly importError: string };

/** Longest a child may take to import the job modules before synth gives up on it. */
export const MODULE_SCHEMA_TIMEOUT_MS = 120_000;

const fromSources = import.meta.url.endsWith(".ts");

/**
 * Imports the requested job files in one Node child process with tsx registered (and, when stepjobs runs from its
 * own sources, the `stepjobs` source alias bin/stepjobs.mjs uses), cwd `root` so tsx reads the project's tsconfig.
 */
export function readModuleSchemas(root: string, requests: readonly ModuleSchemaRequest[]): Record<string, FileSchemas> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepjobs-schemas-"));
  const resultFile = path.join(dir, "result.json");
  try {
    const child = spawnSync(process.execPath, ["--input-type=module", "--eval", bootstrap(), JSON.stringify(requests), resultFile], {
      cwd: root,
      encoding: "utf8",
      timeout: MODULE_SCHEMA_TIMEOUT_MS,
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (!fs.existsSync(resultFile)) {
      const lines = child.stderr.split("\n").map((line) => line.trim());
      const reason =
        child.error?.message ?? lines.find((line) => /^[\w.[\]]*Error\b/.test(line)) ?? `the child process ended with code ${child.status}`;
      return Object.fromEntries(requests.map((r) => [r.file, { importError: reason }]));
    }
    return JSON.parse(fs.readFileSync(resultFile, "utf8")) as Record<string, FileSchemas>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The child's script: register the loaders, then hand the request to the worker module. */
function bootstrap(): string {
  const require = createRequire(import.meta.url);
  // tsx's ESM build of its API (its CommonJS build cannot register the loader from an ES module).
  const tsxApi = require.resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs");
  const worker = new URL(`./module-schema-worker.${fromSources ? "ts" : "js"}`, import.meta.url).href;
  const alias = fromSources ? new URL("../../bin/source-alias.mjs", import.meta.url).href : undefined;
  return [
    `const { register } = await import("node:module");`,
    `(await import(${JSON.stringify(pathToFileURL(tsxApi).href)})).register();`,
    alias ? `register(${JSON.stringify(alias)});` : "",
    `const { writeModuleSchemas } = await import(${JSON.stringify(worker)});`,
    `await writeModuleSchemas(JSON.parse(process.argv[1]), process.argv[2]);`,
  ].join("\n");
}
