import type * as TS from "typescript";
import { ts } from "../typescript.ts";
import { evaluateLiteral } from "../evaluate-literal.ts";
import type { StepSite, StepsPlan } from "../job-plan.ts";
import { isCallOf, locate, objectProperty } from "./ast.ts";
import { mistake, type Read } from "./types.ts";

/** `Promise` combinators that start their tasks together: the job gets the `Parallel` Map state. */
const COMBINATORS = new Set(["all", "allSettled", "race", "any"]);

/** Longest wait of an Express workflow: an Express execution lasts at most 5 minutes. */
export const EXPRESS_MAX_SECONDS = 300;

/** True when `node` contains a `defineJob(...)` call (another job's definition, not a helper). */
function definesJob(node: TS.Node): boolean {
  if (isCallOf(node, "defineJob")) return true;
  return ts.forEachChild(node, definesJob) === true;
}

/** True when `node` mentions one of `names` (e.g. `io` passed to a helper, or `io.runTask(...)`). */
function mentions(node: TS.Node, names: ReadonlySet<string>): boolean {
  if (ts.isIdentifier(node) && names.has(node.text)) return true;
  return ts.forEachChild(node, (child) => mentions(child, names)) === true;
}

/**
 * Finds the job's `io.wait`, `io.sendEvent` and `Promise.all`-style calls over io work, in `run` and in the
 * file's top-level helpers (not in other jobs), so the machine gets the states they need. Receivers named like
 * `run`'s io parameter, or `io`, count. A literal `io.wait` duration is read (Express limit, `Sleep` only).
 */
export function readSteps(file: TS.SourceFile, run: TS.FunctionLikeDeclaration, ioName: string | undefined): StepsPlan | undefined {
  const names = new Set(["io", ...(ioName ? [ioName] : [])]);
  const steps = { wait: [] as StepSite[], sendEvent: [] as StepSite[], parallel: [] as StepSite[] };
  const visit = (node: TS.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const receiver = node.expression.expression;
      const method = node.expression.name.text;
      const receiverName = ts.isIdentifier(receiver) ? receiver.text : undefined;
      if (receiverName && names.has(receiverName) && (method === "wait" || method === "sendEvent"))
        steps[method].push(stepSite(file, node, method));
      if (receiverName === "Promise" && COMBINATORS.has(method) && node.arguments.some((a) => mentions(a, names))) {
        steps.parallel.push({ location: locate(file, node) });
      }
    }
    ts.forEachChild(node, visit);
  };
  if (run.body) visit(run.body);
  for (const statement of file.statements) {
    if ((ts.isFunctionDeclaration(statement) || ts.isVariableStatement(statement)) && !definesJob(statement)) visit(statement);
  }
  return steps.wait.length + steps.sendEvent.length + steps.parallel.length > 0 ? steps : undefined;
}

/** One `io.wait`/`io.sendEvent` call: its literal key, and a literal wait's seconds. */
function stepSite(file: TS.SourceFile, node: TS.CallExpression, method: "wait" | "sendEvent"): StepSite {
  const keyArg = node.arguments[0] && evaluateLiteral(node.arguments[0], file);
  const key = keyArg && keyArg.ok && typeof keyArg.value === "string" ? keyArg.value : undefined;
  const site: { key?: string; seconds?: number; location: StepSite["location"] } = { location: locate(file, node) };
  if (key !== undefined) site.key = key;
  if (method === "wait" && node.arguments[1]) {
    const duration = evaluateLiteral(node.arguments[1], file);
    const value = duration.ok ? duration.value : undefined;
    const seconds = typeof value === "number" ? value : (value as { seconds?: unknown } | undefined)?.seconds;
    if (typeof seconds === "number") site.seconds = seconds;
  }
  return site;
}

/** Reads `mode: "express" | "standard"` and checks what Express cannot do (waits over 5 minutes). */
export function readMode(
  file: TS.SourceFile,
  jobObj: TS.ObjectLiteralExpression,
  jobId: string,
  steps: StepsPlan | undefined,
): Read<"express" | undefined> {
  const node = objectProperty(jobObj, "mode");
  if (!node) return { value: undefined };
  const value = evaluateLiteral(node, file);
  if (!value.ok || (value.value !== "express" && value.value !== "standard")) {
    return mistake(locate(file, node), `job "${jobId}" mode must be "standard" or "express"`);
  }
  if (value.value === "standard") return { value: undefined };
  const tooLong = (steps?.wait ?? []).find((wait) => wait.seconds === undefined || wait.seconds > EXPRESS_MAX_SECONDS);
  if (!tooLong) return { value: "express" };
  return mistake(
    tooLong.location,
    `job "${jobId}" is an Express workflow, which runs at most ${EXPRESS_MAX_SECONDS} seconds; ` +
      (tooLong.seconds === undefined
        ? `io.wait("${tooLong.key ?? "?"}") needs literal seconds so synth can check it`
        : `io.wait("${tooLong.key ?? "?"}") waits ${tooLong.seconds} seconds`) +
      `; use mode: "standard" for longer waits`,
  );
}
