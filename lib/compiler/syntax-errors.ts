import type * as TS from "typescript";
import { ts } from "./typescript.ts";
import { JobDefinitionError } from "../sdk/errors.ts";

/**
 * The first syntax error of each parsed job file, as the TypeScript parser words it, at its `file:line:col`.
 * `ts.createSourceFile` recovers from syntax errors silently (it builds a tree anyway); the public way to read
 * what it recovered from is a program's syntactic diagnostics. The program here resolves nothing and loads no
 * lib, so it only wraps the files already parsed. Only the first error per file: the parser's later ones are
 * mostly consequences of it.
 */
export function syntaxErrors(files: readonly TS.SourceFile[]): Map<string, JobDefinitionError> {
  const byName = new Map(files.map((f) => [f.fileName, f]));
  const host: TS.CompilerHost = {
    getSourceFile: (name) => byName.get(name),
    fileExists: (name) => byName.has(name),
    readFile: () => undefined,
    writeFile: () => {},
    getDefaultLibFileName: () => "lib.d.ts",
    getCurrentDirectory: () => "",
    getCanonicalFileName: (name) => name,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
  };
  const program = ts.createProgram({ rootNames: [...byName.keys()], options: { noResolve: true, noLib: true, types: [] }, host });
  const errors = new Map<string, JobDefinitionError>();
  for (const file of files) {
    const [first] = program.getSyntacticDiagnostics(file);
    if (!first) continue;
    const { line, character } = file.getLineAndCharacterOfPosition(first.start ?? 0);
    const message = ts.flattenDiagnosticMessageText(first.messageText, " ");
    errors.set(file.fileName, new JobDefinitionError({ file: file.fileName, line: line + 1, column: character + 1 }, message));
  }
  return errors;
}
