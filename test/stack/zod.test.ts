import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeployedApp } from "./lane.ts";
import { type Assembly, synthesize } from "./synth.ts";

/**
 * Zod trigger schemas, as deployed (test/fixtures/zod): synth converts them to JSON Schema, the ingest and API
 * Lambdas validate with the ajv standalone code written from it, and carry no zod (the runners do: the job imports it).
 */
let assembly: Assembly;
let app: DeployedApp;

beforeAll(async () => {
  assembly = synthesize({ stackName: "Zod", jobsDir: "test/fixtures/zod" });
  app = await DeployedApp.deploy(assembly);
});
afterAll(async () => {
  await app?.close();
});

/** Every file of a function's bundle, as one text. */
function bundleText(nameIncludes: string): string {
  const fn = [...app.cloud.lambda.functions.values()].find((f) => f.name.includes(nameIncludes))!;
  const files = fs.readdirSync(fn.config.codeDir, { recursive: true, encoding: "utf8" });
  return files
    .map((f) => path.join(fn.config.codeDir, f))
    .filter((f) => fs.statSync(f).isFile())
    .map((f) => fs.readFileSync(f, "utf8"))
    .join("\n");
}

describe("zod trigger schemas, as deployed", () => {
  it("an event the schema accepts runs; one it refuses is a 400 with JSON pointers, from the API's ajv code", async () => {
    const accepted = await app.post({ name: "user.created", id: "zod-1", payload: { email: "ada@example.com", plan: "free" } });
    expect([accepted.status, accepted.body.runs]).toEqual([202, [{ id: "welcome-user--zod-1", jobId: "welcome-user" }]]);
    const run = await app.run("welcome-user--zod-1");
    expect([run.status, JSON.parse(run.output ?? "null")]).toEqual(["SUCCEEDED", { to: "ada@example.com", plan: "free", seats: 1 }]);

    const refused = await app.post({ name: "user.created", id: "zod-2", payload: { email: "ada@example.com", plan: "team" } });
    expect([refused.status, refused.body.error.details.errors]).toEqual([
      400,
      [{ jobId: "welcome-user", path: "/plan", message: "must be equal to one of the allowed values" }],
    ]);
    app.expectNoDenials();
  });

  it("ingest and the API carry no zod; the runner that imports it does", () => {
    // A string of zod's JSON Schema converter, which `import { z } from "zod"` brings along (esbuild keeps strings).
    const zodMarker = "cannot be represented in JSON Schema";
    expect([bundleText("Ingest").includes(zodMarker), bundleText("Api").includes(zodMarker)]).toEqual([false, false]);
    expect(bundleText("welcome-user").includes(zodMarker)).toBe(true);
  });
});
