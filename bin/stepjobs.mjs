#!/usr/bin/env node
// The installed `stepjobs` command: registers tsx so the CLI and the user's jobs run as TypeScript.
import { register } from "tsx/esm/api";

register();
await import("./stepjobs.ts");
