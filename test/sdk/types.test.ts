import { describe, expect, expectTypeOf, it } from "vitest";
import { eventTrigger, TriggerClient, type Jsonify } from "stepjobs";
import { z } from "zod";

// These assertions are checked by `tsc --noEmit` (the first half of `npm test`); a wrong inference
// or a missing compile error fails the typecheck, and @ts-expect-error fails when no error occurs.
const client = new TriggerClient({ id: "type-tests" });

describe("payload inference from the inline JSON Schema (no `as const`)", () => {
  it("types the tutorial job's payload, task payloads and results", () => {
    const job = client.defineJob({
      id: "types-tutorial",
      name: "Types",
      version: "1.0.0",
      trigger: client.on("my.event", {
        schema: {
          type: "object",
          properties: { message: { type: "string" }, shouldFail: { type: "boolean" } },
          required: ["message", "shouldFail"],
          additionalProperties: false,
        },
      }),
      run: async (payload, io, ctx) => {
        expectTypeOf(payload.message).toEqualTypeOf<string>();
        expectTypeOf(payload.shouldFail).toEqualTypeOf<boolean>();
        // @ts-expect-error a typo in a payload field is a compile error
        void payload.mesage;
        expectTypeOf(ctx.attempt.number).toEqualTypeOf<number>();

        const first = await io.runTask(
          "process-incoming-data",
          async (taskPayload) => {
            expectTypeOf(taskPayload).toEqualTypeOf<{ message: string; shouldFail: boolean }>();
            return { status: "processed", originalMessage: taskPayload.message, at: new Date() };
          },
          payload,
          { maxAttempts: 3, retryDelayInMs: 1000 },
        );
        // Results come back as JSON: the Date is a string after the state boundary.
        expectTypeOf(first).toEqualTypeOf<{ status: string; originalMessage: string; at: string }>();

        await io.runTask("send-confirmation", async (taskPayload) => {
          // Without a payload the task gets the previous result, which is untyped by design.
          void taskPayload.originalMessage;
          return { confirmationSent: true };
        });

        // @ts-expect-error options must be retry options, not arbitrary fields
        await io.runTask("x", async () => 1, payload, { maxAtempts: 3 });
      },
    });
    expect(job.trigger).toEqual({
      type: "event",
      name: "my.event",
      source: undefined,
      schema: {
        type: "object",
        properties: { message: { type: "string" }, shouldFail: { type: "boolean" } },
        required: ["message", "shouldFail"],
        additionalProperties: false,
      },
    });
  });

  it("reports an invalid schema keyword value as a type error", () => {
    // @ts-expect-error "strng" is not a JSON Schema type
    const trigger = client.on("bad.event", { schema: { type: "strng" } });
    expect(trigger.name).toBe("bad.event");
  });

  it("eventTrigger (v2's form) infers the payload as client.on does, and types its filter", () => {
    const job = client.defineJob({
      id: "types-event-trigger",
      name: "Types",
      version: "1.0.0",
      trigger: eventTrigger({
        name: "order.created",
        schema: { type: "object", properties: { amount: { type: "number" } }, required: ["amount"] },
        filter: { status: ["paid"], amount: [{ $gt: 100 }], customer: { tier: [{ $anythingBut: "test" }] } },
      }),
      run: async (payload) => {
        expectTypeOf(payload.amount).toEqualTypeOf<number>();
      },
    });
    expect(job.trigger).toEqual({
      type: "event",
      name: "order.created",
      source: undefined,
      schema: { type: "object", properties: { amount: { type: "number" } }, required: ["amount"] },
      filter: { status: ["paid"], amount: [{ $gt: 100 }], customer: { tier: [{ $anythingBut: "test" }] } },
    });
    // @ts-expect-error a v2 matcher with a mistyped operand
    client.on("order.created", { schema: { type: "object" }, filter: { amount: [{ $gt: "100" }] } });
  });

  it("maps task results through Jsonify", () => {
    expectTypeOf<Jsonify<{ d: Date; f: () => void; n: number[] }>>().toEqualTypeOf<{ d: string; n: number[] }>();
    expectTypeOf<Jsonify<void>>().toEqualTypeOf<undefined>();
  });
});

describe("payload inference from a zod schema (Trigger.dev v2's default)", () => {
  const signup = z.object({ email: z.email(), plan: z.enum(["free", "pro"]), seats: z.number().int().optional() });

  it("client.on and eventTrigger type the payload as z.infer of the schema, and keep the schema object", () => {
    const job = client.defineJob({
      id: "types-zod",
      name: "Types",
      version: "1.0.0",
      trigger: client.on("user.created", { schema: signup, filter: { plan: ["pro"] } }),
      run: async (payload) => {
        expectTypeOf(payload).toEqualTypeOf<z.infer<typeof signup>>();
        expectTypeOf(payload.plan).toEqualTypeOf<"free" | "pro">();
        expectTypeOf(payload.seats).toEqualTypeOf<number | undefined>();
        // @ts-expect-error a field the schema does not have is a compile error
        void payload.name;
      },
    });
    expect(job.trigger.type === "event" && job.trigger.schema).toBe(signup);
    client.defineJob({
      id: "types-zod-event-trigger",
      name: "Types",
      version: "1.0.0",
      trigger: eventTrigger({
        name: "order.paid",
        schema: z.object({ orderId: z.string(), lines: z.array(z.object({ sku: z.string() })) }),
      }),
      run: async (payload) => {
        expectTypeOf(payload.lines).toEqualTypeOf<{ sku: string }[]>();
      },
    });
  });
});
