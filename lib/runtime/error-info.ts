import { type ErrorInfo, TaskFailedError } from "../sdk/errors.ts";
import type { JsonValue } from "../sdk/types.ts";

export type { ErrorInfo };

/**
 * Bounds of one {@link ErrorInfo}, about 16 KiB in all: half of the 32,768-character `Cause` a `Catch` receives,
 * and small beside the 256 KiB state, which carries every failure a run's `try/catch` recovered from.
 */
export const ERROR_BOUNDS = { messageChars: 8192, stackChars: 4096, stackFrames: 20, fieldsBytes: 4096 } as const;

/**
 * The name an error is known by: its `name` unless that is the inherited "Error" (a `class PaymentError extends
 * Error {}` that sets none), then its class name. The Lambda bundle keeps class names (esbuild `keepNames`).
 */
export function errorName(error: Error): string {
  const own = typeof error.name === "string" ? error.name : "";
  if (own !== "" && own !== "Error") return own;
  const constructorName = (error.constructor as { name?: unknown } | undefined)?.name;
  return typeof constructorName === "string" && constructorName !== "" ? constructorName : "Error";
}

/** The error of any thrown value, bounded. A replayed task failure gives back the error recorded for it. */
export function errorInfoOf(error: unknown): ErrorInfo {
  if (error instanceof TaskFailedError) return error.recorded;
  if (error instanceof ThrownTaskError) return error.info;
  if (!(error instanceof Error)) {
    return { name: "Error", message: bounded(typeof error === "string" ? error : (JSON.stringify(error) ?? String(error))) };
  }
  const stack = userFrames(error.stack ?? "");
  const fields = ownFields(error);
  return {
    name: errorName(error),
    message: bounded(error.message),
    ...(stack ? { stack } : {}),
    ...(fields ? { fields } : {}),
  };
}

function bounded(message: string): string {
  const max = ERROR_BOUNDS.messageChars;
  return message.length <= max ? message : `${message.slice(0, max)}… (${message.length - max} more characters)`;
}

/** Frames of stepjobs itself (in this repository or installed) and of Node: what runs the task, never the user's. */
const RUNTIME_FRAME =
  /\(node:|\bat node:|\(internal\/|[\\/](?:lib|dist[\\/]lib)[\\/](?:runtime|local|sdk)[\\/]|[\\/]lambdas[\\/]runner\.[mc]?[jt]s:|\/var\/runtime\//;
/** Frames of installed packages: the user's dependencies (and test runners). */
const PACKAGE_FRAME = /node_modules/;

/**
 * The `at ...` lines of a stack that belong to the user's code, paths relative to the working directory (the
 * project locally), within {@link ERROR_BOUNDS}. When only packages' frames are left (an error from inside a
 * library, called back from the event loop), their top three are kept: they are the only clue.
 */
export function userFrames(stack: string): string | undefined {
  const frames = stack
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("at ") && !RUNTIME_FRAME.test(line));
  const own = frames.filter((frame) => !PACKAGE_FRAME.test(frame));
  const cwd = typeof process !== "undefined" ? `${process.cwd()}/` : "";
  const kept = (own.length > 0 ? own : frames.slice(0, 3))
    .slice(0, ERROR_BOUNDS.stackFrames)
    .map((frame) => (cwd ? frame.split(`file://${cwd}`).join("").split(cwd).join("") : frame));
  let text = "";
  for (const frame of kept) {
    if (text.length + frame.length + 1 > ERROR_BOUNDS.stackChars) break;
    text += (text ? "\n" : "") + frame;
  }
  return text || undefined;
}

/**
 * The error's own enumerable fields as JSON, in order, within {@link ERROR_BOUNDS}: a field that does not fit
 * (or cannot be serialized) is kept as a note saying so, so its name still shows; past the bound, fields stop.
 */
function ownFields(error: Error): Record<string, JsonValue> | undefined {
  const entries: [string, JsonValue][] = [];
  let used = 2;
  for (const key of Object.keys(error)) {
    if (key === "name" || key === "message" || key === "stack") continue;
    let json: string | undefined;
    try {
      json = JSON.stringify((error as unknown as Record<string, unknown>)[key]);
    } catch {
      json = JSON.stringify("[not serializable]");
    }
    if (json === undefined) continue;
    const keyCost = JSON.stringify(key).length + 2;
    if (used + keyCost + json.length > ERROR_BOUNDS.fieldsBytes) json = JSON.stringify(`[omitted: ${json.length} bytes of JSON]`);
    if (used + keyCost + json.length > ERROR_BOUNDS.fieldsBytes) break;
    entries.push([key, JSON.parse(json) as JsonValue]);
    used += keyCost + json.length;
  }
  // fromEntries defines each key as an own property, `__proto__` included.
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** The trace line that carries an error's fields through Lambda's error envelope. */
const FIELDS_LINE = "stepjobs.fields ";

/**
 * The error the runner throws for a failed task (and `RunFailed` for a failed run): name and message as the
 * {@link ErrorInfo} says, so native `Retry` matches that name, and a `stack` that Lambda's Node runtime turns
 * into the `trace` of its error envelope (`{ errorType, errorMessage, trace: stack.split("\n") }`), which Step
 * Functions puts in the `Cause`: the user's frames, then one `stepjobs.fields {...}` line.
 */
export class ThrownTaskError extends Error {
  declare readonly info: ErrorInfo;
  constructor(info: ErrorInfo) {
    super(info.message);
    // The fields as own properties too (what the task threw had them), then ours, which they must not replace.
    Object.assign(this, info.fields);
    this.name = info.name;
    Object.defineProperty(this, "info", { value: info, enumerable: false });
    const lines = [`${info.name}: ${info.message}`, ...(info.stack ? info.stack.split("\n").map((frame) => `    ${frame}`) : [])];
    if (info.fields) lines.push(`    ${FIELDS_LINE}${JSON.stringify(info.fields)}`);
    this.stack = lines.join("\n");
  }
}

/**
 * The `Cause` Step Functions records for an error a Lambda function threw: the Node runtime's envelope
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html). The dev executor throws this as the
 * message for aws-local-stepfunctions, whose `Catch` passes the message as `Cause`, so both read the same.
 */
export function lambdaErrorCause(error: Error): string {
  return JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: (error.stack ?? "").split("\n") });
}

/** Reads a Lambda error envelope's `trace` back into frames and fields (the inverse of {@link ThrownTaskError}). */
export function fromTrace(trace: unknown): Pick<ErrorInfo, "stack" | "fields"> {
  if (!Array.isArray(trace)) return {};
  const lines = trace.filter((line): line is string => typeof line === "string").map((line) => line.trim());
  let fields: Record<string, JsonValue> | undefined;
  const fieldsLine = lines.find((line) => line.startsWith(FIELDS_LINE));
  if (fieldsLine) {
    try {
      const parsed = JSON.parse(fieldsLine.slice(FIELDS_LINE.length)) as unknown;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) fields = parsed as Record<string, JsonValue>;
    } catch {
      // not ours: leave it out
    }
  }
  const stack = userFrames(lines.filter((line) => line.startsWith("at ")).join("\n"));
  return { ...(stack ? { stack } : {}), ...(fields ? { fields } : {}) };
}

/** The caller of a durable step (`io.runTask`, ...), as `file:line:col`, read from the stack of an error made in stepjobs' runtime. */
export function callSite(error: Error): string | undefined {
  const lines = (error.stack ?? "").split("\n").slice(1);
  const frame = lines.find((l) => !l.includes("/lib/runtime/") && !l.includes("node:internal"));
  const match = frame?.match(/\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/);
  return match ? `${(match[1] ?? "").replace(/^file:\/\//, "")}:${match[2]}:${match[3]}` : undefined;
}
