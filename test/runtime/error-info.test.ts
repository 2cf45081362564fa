import { describe, expect, it } from "vitest";
import { ERROR_BOUNDS, errorInfoOf, errorName, lambdaErrorCause, ThrownTaskError, userFrames } from "../../lib/runtime/error-info.ts";
import { normalizeCaughtError } from "../../lib/runtime/run-state.ts";
import { NonRetriableError, TaskFailedError } from "../../lib/sdk/errors.ts";
import { PaymentError, PlainCustomError } from "../fixtures/errors/custom-errors.ts";

const HERE = /^at (?:.*\()?test\/runtime\/error-info\.test\.ts:\d+:\d+\)?$/;

describe("errorName: what retryOn and native Retry match", () => {
  class Named extends Error {
    override name = "RateLimitError";
  }
  class FatalError extends NonRetriableError {}
  it.each([
    ["a class that sets no name: its class name", new PlainCustomError("x"), "PlainCustomError"],
    ["a name the user set wins over the class name", new Named("x"), "RateLimitError"],
    ["a name set on an instance", Object.assign(new Error("x"), { name: "UpstreamError" }), "UpstreamError"],
    ["a built-in error", new TypeError("x"), "TypeError"],
    ["a plain Error", new Error("x"), "Error"],
    ["a subclass of NonRetriableError stays non-retriable", new FatalError("x"), "NonRetriableError"],
  ])("%s", (_case, error, name) => {
    expect(errorName(error)).toBe(name);
  });
});

describe("errorInfoOf keeps the stack (the user's frames) and the error's own fields", () => {
  it("a custom error: class name, message, this file's frame first, and its fields", () => {
    const info = errorInfoOf(new PaymentError("card declined", "CARD_DECLINED", "o-42"));
    expect(info.name).toBe("PaymentError");
    expect(info.message).toBe("card declined");
    expect(info.fields).toEqual({ code: "CARD_DECLINED", orderId: "o-42" });
    expect(info.stack?.split("\n")[0]).toMatch(HERE);
    // vitest's and Node's frames are not the user's.
    expect(info.stack).not.toMatch(/node_modules|node:/);
  });

  it("stack frames of stepjobs, Node and packages are dropped; paths are made relative to the project", () => {
    const cwd = process.cwd();
    const stack = [
      "Error: boom",
      `    at charge (${cwd}/src/jobs/order.ts:12:11)`,
      `    at execute (${cwd}/lib/runtime/step-run.ts:300:20)`,
      `    at run (file://${cwd}/src/jobs/order.ts:30:5)`,
      `    at Object.runTask (${cwd}/node_modules/stepjobs/dist/lib/runtime/step-run.js:1:1)`,
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
      "    at Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1173:29)",
    ].join("\n");
    expect(userFrames(stack)).toBe("at charge (src/jobs/order.ts:12:11)\nat run (src/jobs/order.ts:30:5)");
  });

  it("an error raised inside a package keeps the package's top frames when no frame is the user's", () => {
    const stack = ["Error: socket hang up", "    at a (/app/node_modules/got/x.js:1:1)", "    at b (/app/node_modules/got/y.js:2:2)"].join(
      "\n",
    );
    expect(userFrames(stack)).toBe("at a (/app/node_modules/got/x.js:1:1)\nat b (/app/node_modules/got/y.js:2:2)");
  });

  it("bounded: a long message is cut with a note, a big field is replaced by a note, the stack by frames and size", () => {
    const error = Object.assign(new Error("m".repeat(20_000)), { small: 1, blob: "b".repeat(10_000), after: true });
    const info = errorInfoOf(error);
    expect(info.message).toBe(`${"m".repeat(ERROR_BOUNDS.messageChars)}… (${20_000 - ERROR_BOUNDS.messageChars} more characters)`);
    expect(info.fields).toEqual({ small: 1, blob: "[omitted: 10002 bytes of JSON]", after: true });
    const deep = Array.from({ length: 100 }, (_, i) => `    at f${i} (/app/src/jobs/deep.ts:${i}:1)`).join("\n");
    expect(userFrames(`Error: x\n${deep}`)?.split("\n")).toHaveLength(ERROR_BOUNDS.stackFrames);
    const wide = Array.from({ length: 20 }, (_, i) => `    at f${i} (/app/src/jobs/${"d".repeat(400)}.ts:${i}:1)`).join("\n");
    expect(userFrames(`Error: x\n${wide}`)!.length).toBeLessThanOrEqual(ERROR_BOUNDS.stackChars);
  });

  it("a thrown non-error keeps its text", () => {
    expect(errorInfoOf("plain string")).toEqual({ name: "Error", message: "plain string" });
    expect(errorInfoOf({ status: 503 })).toEqual({ name: "Error", message: '{"status":503}' });
  });
});

describe("through Lambda's error envelope and back (what a Catch hands Plan, in AWS and in dev)", () => {
  it("the thrown error is named for retryOn; its Cause gives back name, message, stack and fields", () => {
    const info = errorInfoOf(new PaymentError("card declined", "CARD_DECLINED", "o-42"));
    const thrown = new ThrownTaskError(info);
    expect([thrown.name, thrown.message]).toEqual(["PaymentError", "card declined"]);
    const cause = JSON.parse(lambdaErrorCause(thrown));
    expect(cause.errorType).toBe("PaymentError");
    expect(cause.trace.at(-1)).toBe('    stepjobs.fields {"code":"CARD_DECLINED","orderId":"o-42"}');
    expect(normalizeCaughtError({ Error: "PaymentError", Cause: lambdaErrorCause(thrown) })).toEqual(info);
  });

  it("replayed, the recorded failure is what try/catch gets: same name, message, stack, and error.code", () => {
    const info = errorInfoOf(new PaymentError("card declined", "CARD_DECLINED", "o-42"));
    const replayed = new TaskFailedError("charge", "charge#0", info);
    expect([replayed.name, replayed.message, (replayed as unknown as { code: string }).code]).toEqual([
      "PaymentError",
      "card declined",
      "CARD_DECLINED",
    ]);
    expect(replayed.stack).toBe(`PaymentError: card declined\n${info.stack!.replace(/^/gm, "    ")}`);
    expect(errorInfoOf(replayed)).toEqual(info);
  });

  it("a Lambda error that is not the runner's (a crash) still gives its trace as the stack", () => {
    const cause = JSON.stringify({
      errorType: "Runtime.ExitError",
      errorMessage: "exited",
      trace: ["Error: exited", "    at handler (/var/task/src/jobs/x.ts:3:9)"],
    });
    expect(normalizeCaughtError({ Error: "Runtime.ExitError", Cause: cause })).toEqual({
      name: "Runtime.ExitError",
      message: "exited",
      stack: "at handler (/var/task/src/jobs/x.ts:3:9)",
    });
  });
});
