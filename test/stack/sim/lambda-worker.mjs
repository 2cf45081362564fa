// One simulated Lambda execution environment: a worker thread with the function's environment variables, which
// loads the deployed bundle the way the Node.js runtime does and runs one invocation at a time.
// https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
import { Buffer } from "node:buffer";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

const { taskRoot, handler, sourceMaps } = workerData;
if (sourceMaps) process.setSourceMapsEnabled(true);

/** Lambda's handler string `file.export` (the file may sit in a folder: `dir/file.export`). */
async function loadHandler() {
  const dot = handler.lastIndexOf(".");
  const base = path.join(taskRoot, handler.slice(0, dot));
  const exportName = handler.slice(dot + 1);
  const file = [".js", ".mjs", ".cjs"].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (!file) throw Object.assign(new Error(`Cannot find module '${handler.slice(0, dot)}'`), { name: "Runtime.ImportModuleError" });
  // No package.json sits above the task root, so `.js` is CommonJS, as in Lambda.
  const mod = file.endsWith(".mjs") ? await import(pathToFileURL(file).href) : createRequire(file)(file);
  const fn = mod[exportName] ?? mod.default?.[exportName];
  if (typeof fn !== "function") {
    throw Object.assign(new Error(`${handler} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  }
  return fn;
}

// What the function writes is handed back with each invocation's answer (Lambda ships it to CloudWatch Logs), so the
// lines are in the function's log before the invocation is seen to end.
let written = "";
for (const stream of [process.stdout, process.stderr]) {
  stream.write = (chunk, encoding, callback) => {
    written += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    if (typeof encoding === "function") encoding();
    else if (typeof callback === "function") callback();
    return true;
  };
}
const takeLogs = () => {
  const out = written;
  written = "";
  return out;
};

let loaded;
parentPort.on("message", async ({ id, event, context }) => {
  try {
    loaded ??= loadHandler();
    const fn = await loaded;
    const started = Date.now();
    const result = await fn(event, { ...context, getRemainingTimeInMillis: () => context.timeoutMs - (Date.now() - started) });
    parentPort.postMessage({ id, ok: true, payload: JSON.stringify(result ?? null), logs: takeLogs() });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({
      id,
      ok: false,
      error: { errorType: e.name || "Error", errorMessage: e.message, trace: String(e.stack ?? "").split("\n") },
      logs: takeLogs(),
    });
  }
});
