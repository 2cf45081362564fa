import { createRequire } from "node:module";
import type * as TS from "typescript";

/**
 * The TypeScript compiler API, loaded with `require`: typescript.js is CommonJS, and an ES `import` of it makes Node
 * scan its 9 MB for named exports first (cjs-module-lexer), which doubles the load (~0.9 s against ~0.4 s measured
 * on the CI machine). Every CLI command that compiles jobs pays this load, so it is paid once and the cheap way.
 */
export const ts: typeof TS = createRequire(import.meta.url)("typescript");
