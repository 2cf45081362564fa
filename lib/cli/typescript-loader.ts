/**
 * The user's jobs are TypeScript, and Node 20 cannot import TypeScript by itself: the commands that import them
 * (`dev`) register tsx's ESM loader first (https://tsx.is/dev-api/register-esm). Only they pay for it (about
 * 0.4 s here); `runs`, `send` and the other API clients start without it.
 */

let registered = false;

/** Registers tsx's loader once. From this repository's sources a loader is already in place (bin/stepjobs.mjs). */
export async function registerTypeScriptLoader(): Promise<void> {
  if (registered || import.meta.url.endsWith(".ts")) return;
  const { register } = await import("tsx/esm/api");
  register();
  registered = true;
}
