#!/usr/bin/env node
// The `stepjobs` command. In the installed package it runs the compiled `dist/` with plain Node: commands load
// only what they need, and `dev` registers tsx itself for the user's TypeScript jobs. In this repository (sources
// next to this file) it runs from source, so tsx is registered first and `stepjobs`/`stepjobs/cdk` resolve to the
// sources too.
import fs from "node:fs";

if (fs.existsSync(new URL("../lib/sdk/index.ts", import.meta.url))) {
  const [{ register }, { register: registerTsx }] = await Promise.all([import("node:module"), import("tsx/esm/api")]);
  registerTsx();
  register("./source-alias.mjs", import.meta.url);
  await import("./stepjobs.ts");
} else {
  await import("../dist/bin/stepjobs.js");
}
