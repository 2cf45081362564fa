import fs from "node:fs";
import { pathToFileURL } from "node:url";
import { registeredJobs } from "../sdk/client.ts";
import type { FileSchemas, ModuleSchema, ModuleSchemaRequest } from "./module-schemas.ts";
import { isZod3Schema, isZodSchema, jsonSchemaOfZod } from "./zod-json-schema.ts";

/**
 * The child process of {@link readModuleSchemas}: imports each job module (tsx is registered by the bootstrap), takes
 * the schema of each requested job from what it registered, and writes the JSON Schemas (or the problems) to
 * `resultFile`. A file of its own, not stdout: a job module may print while it is imported.
 */
export async function writeModuleSchemas(requests: readonly ModuleSchemaRequest[], resultFile: string): Promise<void> {
  const result: Record<string, FileSchemas> = {};
  for (const request of requests) result[request.file] = await schemasOfFile(request);
  fs.writeFileSync(resultFile, JSON.stringify(result));
}

async function schemasOfFile(request: ModuleSchemaRequest): Promise<FileSchemas> {
  try {
    await import(pathToFileURL(request.absolutePath).href);
  } catch (error) {
    return { importError: error instanceof Error ? error.message : String(error) };
  }
  const jobs: Record<string, ModuleSchema> = {};
  for (const jobId of request.jobIds) {
    const trigger = registeredJobs().get(jobId)?.trigger;
    jobs[jobId] = trigger
      ? schemaOf(trigger.type === "event" ? trigger.schema : undefined)
      : { problem: `importing it did not define job "${jobId}"` };
  }
  return { jobs };
}

function schemaOf(schema: unknown): ModuleSchema {
  if (isZodSchema(schema)) return jsonSchemaOfZod(schema);
  if (isZod3Schema(schema))
    return { problem: 'is a zod 3 schema, and stepjobs converts zod 4 schemas: install zod 4, or import { z } from "zod/v4" (zod 3.25)' };
  if (typeof schema === "object" && schema !== null && !Array.isArray(schema))
    return { schema: JSON.parse(JSON.stringify(schema)) as Record<string, unknown> };
  return { problem: "is neither a zod schema nor a JSON Schema object" };
}
