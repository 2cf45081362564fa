import type * as TS from "typescript";
import { ts } from "../typescript.ts";
import type { SourceLocation } from "../../sdk/errors.ts";
import { evaluateLiteral, propertyName, unwrap } from "../evaluate-literal.ts";
import { mistake, type Read } from "./types.ts";

/** Small readers of the TypeScript syntax tree the job readers share. */

/** Where `node` starts, as `file:line:col` (1-based). */
export function locate(file: TS.SourceFile, node: TS.Node): SourceLocation {
  const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return { file: file.fileName, line: line + 1, column: character + 1 };
}

/** The value written for property `name` of an object literal (a shorthand's name, a method's declaration). */
export function objectProperty(obj: TS.ObjectLiteralExpression, name: string): TS.Expression | undefined {
  for (const prop of obj.properties) {
    if (ts.isPropertyAssignment(prop) && propertyName(prop.name) === name) return prop.initializer;
    if (ts.isShorthandPropertyAssignment(prop) && prop.name.text === name) return prop.name;
    if (ts.isMethodDeclaration(prop) && prop.name && propertyName(prop.name) === name) return prop as unknown as TS.Expression;
  }
  return undefined;
}

/** A call of a method named `method` (`client.defineJob(...)`, `io.runTask(...)`). */
export function isCallOf(node: TS.Node, method: string): node is TS.CallExpression & { expression: TS.PropertyAccessExpression } {
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === method;
}

/** `defineJob`'s `name`: a non-empty string literal. */
export function stringProperty(file: TS.SourceFile, obj: TS.ObjectLiteralExpression, name: string, where: TS.Node): Read<string> {
  const node = objectProperty(obj, name);
  if (!node) return mistake(locate(file, where), `defineJob is missing "${name}"`);
  const value = evaluateLiteral(node, file);
  if (!value.ok || typeof value.value !== "string" || value.value.length === 0) {
    return mistake(locate(file, node), `defineJob "${name}" must be a non-empty string literal`);
  }
  return { value: value.value };
}

/** The `run` of a job: a method, an arrow function or a function expression written in place. */
export function runFunction(node: TS.Node | undefined): TS.FunctionLikeDeclaration | undefined {
  if (!node) return undefined;
  if (ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return node;
  return undefined;
}

/** The name of `run`'s second parameter (`io`), when it is a plain identifier. */
export function ioParameterName(run: TS.FunctionLikeDeclaration): string | undefined {
  const param = run.parameters[1];
  return param && ts.isIdentifier(param.name) ? param.name.text : undefined;
}

/** The node of the option a retry error names (`retry.limit` -> the `limit` property), for a precise column. */
export function fieldLocation(obj: TS.Expression, field: string): TS.Node | undefined {
  let current: TS.Node | undefined = obj;
  for (const part of field.split(".")) {
    if (!current || !ts.isObjectLiteralExpression(current)) return current;
    const prop: TS.ObjectLiteralElementLike | undefined = current.properties.find(
      (p) => p.name && propertyName(p.name as TS.PropertyName) === part,
    );
    if (!prop) return current;
    current = ts.isPropertyAssignment(prop) ? unwrap(prop.initializer) : prop;
  }
  return current;
}
