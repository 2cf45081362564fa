import type * as TS from "typescript";
import { ts } from "../typescript.ts";
import type { RetryOptions } from "../../sdk/types.ts";
import { evaluateLiteral, findConstInitializer, unwrap } from "../evaluate-literal.ts";
import { locate, objectProperty } from "./ast.ts";
import type { DiscoverOptions, Read } from "./types.ts";
import { mistake } from "./types.ts";

/**
 * The client's retry defaults: the literal `defaults.retry` of the `new TriggerClient({...})` a job's client
 * variable refers to, in the job's file or in the module it imports the client from (`src/trigger.ts`), found with
 * TypeScript's own module resolution. A non-literal `defaults` is a mistake: synth could not compile it.
 */
export function clientDefaults(file: TS.SourceFile, clientName: string, options: DiscoverOptions): Read<RetryOptions | undefined> {
  const found = constDeclaration(file, clientName, options);
  if (!found) return { value: undefined };
  const created = unwrap(found.init);
  const argument = ts.isNewExpression(created) ? created.arguments?.[0] : undefined;
  const arg = argument && unwrap(argument);
  if (!arg || !ts.isObjectLiteralExpression(arg)) return { value: undefined };
  const defaults = objectProperty(arg, "defaults");
  if (!defaults) return { value: undefined };
  const value = evaluateLiteral(defaults, found.source);
  if (!value.ok) return mistake(locate(found.source, value.node), "client defaults must be a literal object so synth can compile them");
  return { value: (value.value as { retry?: RetryOptions } | undefined)?.retry };
}

/** The initializer of a `const` (the client, a shared limit), in `file` or in the relative module it is imported from. */
export function constDeclaration(
  file: TS.SourceFile,
  clientName: string,
  options: DiscoverOptions,
): { source: TS.SourceFile; init: TS.Expression } | undefined {
  const local = findConstInitializer(file, clientName);
  if (local) return { source: file, init: local };
  const imported = importOf(file, clientName);
  const readFile = options.readFile;
  if (!imported || !imported.module.startsWith(".") || !readFile) return undefined;
  const resolved = resolveModule(imported.module, file.fileName, readFile);
  const text = resolved && readFile(resolved);
  if (!resolved || text === undefined) return undefined;
  const source = ts.createSourceFile(resolved, text, ts.ScriptTarget.Latest, true);
  const init = findConstInitializer(source, imported.exported);
  return init ? { source, init } : undefined;
}

/** `import { client } from "../trigger"`: the module and the name `local` is exported under there. */
function importOf(file: TS.SourceFile, local: string): { module: string; exported: string } | undefined {
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    const element = bindings.elements.find((e) => e.name.text === local);
    if (element) return { module: statement.moduleSpecifier.text, exported: (element.propertyName ?? element.name).text };
  }
  return undefined;
}

/** The file a relative import names, as TypeScript resolves it for a bundler (`./trigger`, `./trigger.js`, `./dir`). */
function resolveModule(specifier: string, from: string, readFile: (path: string) => string | undefined): string | undefined {
  const host: TS.ModuleResolutionHost = { fileExists: (p) => readFile(p) !== undefined, readFile };
  const options: TS.CompilerOptions = {
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    module: ts.ModuleKind.ESNext,
    allowImportingTsExtensions: true,
    noEmit: true,
  };
  const resolved = ts.resolveModuleName(specifier, from, options, host).resolvedModule;
  return resolved && !resolved.isExternalLibraryImport ? resolved.resolvedFileName : undefined;
}
