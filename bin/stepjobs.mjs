#!/usr/bin/env node
// The `stepjobs` command. tsx is registered either way, because the user's jobs are TypeScript. In this
// repository (sources next to this file) the CLI runs from source and `stepjobs`/`stepjobs/cdk` resolve to the
// sources too; in the installed package it runs the compiled `dist/`.
import fs from "node:fs";
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

registerTsx();
if (fs.existsSync(new URL("../lib/sdk/index.ts", import.meta.url))) {
  register("./source-alias.mjs", import.meta.url);
  await import("./stepjobs.ts");
} else {
  await import("../dist/bin/stepjobs.js");
}
