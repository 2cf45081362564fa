/**
 * `npm run build` (run by `prepack`): the published package's `dist/`: JavaScript and `.d.ts` for the SDK
 * (`stepjobs`), the constructs (`stepjobs/cdk`), the Lambda handlers and the CLI, compiled by TypeScript with
 * relative `.ts` imports rewritten to `.js`; and the dashboard bundled once, so installs need no UI sources.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bundleDashboard } from "../lib/dashboard/serve.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});
const assets = path.join(dist, "lib/dashboard/assets");
fs.mkdirSync(assets, { recursive: true });
const { js, css } = await bundleDashboard();
fs.writeFileSync(path.join(assets, "app.js"), js);
fs.writeFileSync(path.join(assets, "app.css"), css);
// The compiled UI modules are not used once the bundle exists (the dashboard is the bundle).
fs.rmSync(path.join(dist, "lib/dashboard/ui"), { recursive: true, force: true });
process.stdout.write(`built ${path.relative(root, dist)}/ (dashboard ${js.length + css.length} bytes)\n`);
