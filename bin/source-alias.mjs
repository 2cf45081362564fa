// Module resolve hook for running stepjobs from its own sources (this repository): `stepjobs` and
// `stepjobs/cdk` resolve to the TypeScript entry points instead of the published `dist/` (which a fresh clone
// has not built). https://nodejs.org/api/module.html#customization-hooks
const SOURCES = {
  stepjobs: new URL("../lib/sdk/index.ts", import.meta.url).href,
  "stepjobs/cdk": new URL("../lib/constructs/index.ts", import.meta.url).href,
};

export async function resolve(specifier, context, next) {
  const source = SOURCES[specifier];
  return source ? { url: source, shortCircuit: true, format: "module" } : next(specifier, context);
}
