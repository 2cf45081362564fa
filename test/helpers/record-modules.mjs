// `node --import` this file (or NODE_OPTIONS=--import=...) to append every module URL the process resolves to the
// file named by STEPJOBS_MODULE_LOG: the tests read it to see what a command loaded. The hook runs on Node's loader
// thread (https://nodejs.org/api/module.html#customization-hooks), so it writes the file itself.
import { register } from "node:module";

const log = process.env.STEPJOBS_MODULE_LOG;
if (log) {
  const hook = `import fs from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  fs.appendFileSync(${JSON.stringify(log)}, result.url + "\\n");
  return result;
}`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
}
