import type * as TS from "typescript";
import { ts } from "./typescript.ts";

/** A value read from source, or the node that could not be read (for a `file:line:col` error). */
export type LiteralResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly node: TS.Node };

/** Finds `const NAME = <initializer>` at the top level of a file, for options or schemas kept in a constant. */
export function findConstInitializer(file: TS.SourceFile, name: string): TS.Expression | undefined {
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    if (!(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const decl of statement.declarationList.declarations) {
      if (ts.isIdentifier(decl.name) && decl.name.text === name && decl.initializer) return decl.initializer;
    }
  }
  return undefined;
}

/** Strips `(x)`, `x as const`, `x satisfies T`, `<T>x` and `x!`, which do not change the value. */
export function unwrap(node: TS.Expression): TS.Expression {
  let current = node;
  while (
    ts.isParenthesizedExpression(current) ||
    ts.isAsExpression(current) ||
    ts.isSatisfiesExpression(current) ||
    ts.isTypeAssertionExpression(current) ||
    ts.isNonNullExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

/** The text of a property name (`a`, `"a"`, `1`), or undefined when computed. */
export function propertyName(name: TS.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) {
    return name.text;
  }
  return undefined;
}

/**
 * Evaluates an expression made only of literals (objects, arrays, strings, numbers, booleans, null,
 * and top-level `const`s of the same file) to its JSON value, the way `stepjobs synth` must read task
 * options and schemas without running the job. Anything else reports the node it could not read.
 */
export function evaluateLiteral(node: TS.Expression, file: TS.SourceFile, seen: Set<string> = new Set()): LiteralResult {
  const n = unwrap(node);
  if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return { ok: true, value: n.text };
  if (ts.isNumericLiteral(n)) return { ok: true, value: Number(n.text.replace(/_/g, "")) };
  if (n.kind === ts.SyntaxKind.TrueKeyword) return { ok: true, value: true };
  if (n.kind === ts.SyntaxKind.FalseKeyword) return { ok: true, value: false };
  if (n.kind === ts.SyntaxKind.NullKeyword) return { ok: true, value: null };
  if (ts.isPrefixUnaryExpression(n) && (n.operator === ts.SyntaxKind.MinusToken || n.operator === ts.SyntaxKind.PlusToken)) {
    const inner = evaluateLiteral(n.operand, file, seen);
    if (!inner.ok || typeof inner.value !== "number") return { ok: false, node: n };
    return { ok: true, value: n.operator === ts.SyntaxKind.MinusToken ? -inner.value : inner.value };
  }
  if (ts.isIdentifier(n)) {
    if (n.text === "undefined") return { ok: true, value: undefined };
    const init = seen.has(n.text) ? undefined : findConstInitializer(file, n.text);
    if (!init) return { ok: false, node: n };
    const resolved = evaluateLiteral(init, file, new Set([...seen, n.text]));
    // Blame the use site: the user looks at the io.runTask call, not at the constant's declaration.
    return resolved.ok ? resolved : { ok: false, node: n };
  }
  if (ts.isArrayLiteralExpression(n)) {
    const out: unknown[] = [];
    for (const element of n.elements) {
      const value = evaluateLiteral(element, file, seen);
      if (!value.ok) return value;
      out.push(value.value);
    }
    return { ok: true, value: out };
  }
  if (ts.isObjectLiteralExpression(n)) {
    const out: Record<string, unknown> = {};
    for (const prop of n.properties) {
      if (ts.isPropertyAssignment(prop)) {
        const key = propertyName(prop.name);
        if (key === undefined) return { ok: false, node: prop.name };
        const value = evaluateLiteral(prop.initializer, file, seen);
        if (!value.ok) return value;
        if (value.value !== undefined) out[key] = value.value;
      } else if (ts.isShorthandPropertyAssignment(prop)) {
        const value = evaluateLiteral(prop.name, file, seen);
        if (!value.ok) return value;
        if (value.value !== undefined) out[prop.name.text] = value.value;
      } else {
        return { ok: false, node: prop };
      }
    }
    return { ok: true, value: out };
  }
  return { ok: false, node: n };
}
