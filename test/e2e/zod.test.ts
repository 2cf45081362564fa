import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DevProcess, makeProject, ROOT } from "./helpers.ts";

/**
 * Zod trigger schemas in `stepjobs dev` (test/fixtures/zod): the dev server compiles them through the job modules,
 * validates events with the converted JSON Schema, serves it to the dashboard, and reports a schema zod cannot express
 * in JSON Schema at its file:line on reload, keeping the last good version.
 */
const root = makeProject(path.join(ROOT, "test/fixtures/zod"));
fs.copyFileSync(path.join(ROOT, "test/fixtures/zod-schemas.ts"), path.join(root, "src/zod-schemas.ts"));
fs.symlinkSync(path.join(ROOT, "node_modules/zod"), path.join(root, "node_modules/zod"), "dir");
const dev = new DevProcess(root);
beforeAll(() => dev.start());
afterAll(async () => {
  await dev.kill();
  fs.rmSync(root, { recursive: true, force: true });
});

describe("zod trigger schemas in stepjobs dev", () => {
  it("an event the zod schema accepts starts the run; the payload arrives as sent", async () => {
    const sent = await dev.send("user.created", { email: "ada@example.com", plan: "pro", seats: 3 }, "z-1");
    expect([sent.status, sent.body]).toEqual([202, { id: "z-1", runs: [{ id: "welcome-user--z-1", jobId: "welcome-user" }] }]);
    expect((await dev.waitForRun("welcome-user--z-1")).output).toEqual({ to: "ada@example.com", plan: "pro", seats: 3 });
  });

  it("an event it refuses is a 400 naming each field by JSON pointer", async () => {
    const refused = await dev.send("order.paid", { orderId: "", amount: -1, currency: "EUR", lines: [] }, "z-2");
    expect([refused.status, refused.body.error.code, refused.body.error.details.errors]).toEqual([
      400,
      "EVENT_VALIDATION",
      [
        { jobId: "ship-order", path: "/orderId", message: "must NOT have fewer than 1 characters" },
        { jobId: "ship-order", path: "/amount", message: "must be > 0" },
        { jobId: "ship-order", path: "/lines", message: "must NOT have fewer than 1 items" },
      ],
    ]);
  });

  it("the job view carries the converted JSON Schema (what the dashboard's Send Event dialog validates with)", async () => {
    const job = await dev.request("GET", "/api/v1/jobs/welcome-user");
    expect([job.status, job.body.trigger.schema.required, job.body.trigger.schema.properties.plan]).toEqual([
      200,
      ["email", "plan"],
      { type: "string", enum: ["free", "pro"] },
    ]);
  });

  it("an edit that adds a transform is reported at its file:line; the last good version keeps serving", async () => {
    const file = path.join(root, "src/jobs/welcome-user.ts");
    const text = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, text.replace('plan: z.enum(["free", "pro"])', "plan: z.string().transform((s) => s.toUpperCase())"));
    await dev.waitForOutput(/welcome-user\.ts:\d+:\d+: job "welcome-user" trigger schema at "plan": \.transform\(\) changes the payload/);
    const sent = await dev.send("user.created", { email: "bob@example.com", plan: "free" }, "z-3");
    expect([sent.status, sent.body.runs]).toEqual([202, [{ id: "welcome-user--z-3", jobId: "welcome-user" }]]);
    expect((await dev.waitForRun("welcome-user--z-3")).output).toEqual({ to: "bob@example.com", plan: "free", seats: 1 });
  });
});
