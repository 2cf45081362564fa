import path from "node:path";
import { ts } from "./typescript.ts";

/** Extensions a relative import may leave out, or write as `.js` for a `.ts` file (TypeScript's ESM convention). */
const CANDIDATES = (base: string): string[] => [
  ...(path.extname(base) ? [base] : []),
  ...[".ts", ".tsx", ".mts", ".js", ".mjs"].map((ext) => `${base}${ext}`),
  ...(/\.m?js$/.test(base) ? [base.replace(/\.js$/, ".ts").replace(/\.mjs$/, ".mts")] : []),
  ...["index.ts", "index.js"].map((name) => path.join(base, name)),
];

/**
 * Every project file `file` imports, directly or through other project files (relative specifiers only; packages
 * and path aliases are not followed), found with TypeScript's import scanner through `readFile` (paths relative to
 * the project root). What a schema read by importing the module depends on.
 */
export function importClosure(file: string, readFile: (rel: string) => string | undefined): string[] {
  const seen = new Set<string>([file]);
  const queue = [file];
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    const text = readFile(current);
    if (text === undefined) continue;
    for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!specifier.startsWith(".")) continue;
      const base = path.join(path.dirname(current), specifier);
      const found = CANDIDATES(base).find((candidate) => seen.has(candidate) || readFile(candidate) !== undefined);
      if (found && !seen.has(found)) {
        seen.add(found);
        queue.push(found);
      }
    }
  }
  return [...seen];
}
