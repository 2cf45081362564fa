/**
 * CloudFormation's intrinsic functions, resolved against a simulated deployment: what CloudFormation does to a
 * template's values before it hands them to a resource. Pure: the caller supplies how `Ref`/`Fn::GetAtt` of a
 * resource resolve. Reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 */

/** How references resolve in one stack. */
export interface ResolveContext {
  /** Pseudo parameters (`AWS::Region`, ...) and template parameters, by name. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** `Ref` of a resource (its physical id), by logical id; throws for a resource not (yet) created. */
  ref(logicalId: string): unknown;
  /** `Fn::GetAtt` of a resource. */
  getAtt(logicalId: string, attribute: string): unknown;
  readonly conditions?: Readonly<Record<string, unknown>>;
  readonly mappings?: Readonly<Record<string, Record<string, Record<string, unknown>>>>;
}

/** `AWS::NoValue`: the property is removed. */
const NO_VALUE = Symbol("AWS::NoValue");

/** A template construct the simulator does not implement: a test failure naming it, never a silent pass. */
export class UnsupportedIntrinsicError extends Error {
  constructor(what: string) {
    super(`the stack simulator does not implement ${what}`);
    this.name = "UnsupportedIntrinsicError";
  }
}

/** Resolves every intrinsic function in `value`. */
export function resolveValue(value: unknown, context: ResolveContext): unknown {
  const resolved = resolveInner(value, context);
  return resolved === NO_VALUE ? undefined : resolved;
}

function resolveInner(value: unknown, context: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveInner(v, context)).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const [only] = entries;
  if (only && entries.length === 1) {
    const [key, argument] = only;
    if (key === "Ref" || key.startsWith("Fn::") || key === "Condition") return resolveFunction(key, argument, context);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries) {
    const r = resolveInner(v, context);
    if (r !== NO_VALUE) out[key] = r;
  }
  return out;
}

function resolveFunction(name: string, argument: unknown, context: ResolveContext): unknown {
  const resolve = (v: unknown) => resolveInner(v, context);
  switch (name) {
    case "Ref": {
      const id = argument as string;
      if (id === "AWS::NoValue") return NO_VALUE;
      if (Object.hasOwn(context.parameters, id)) return context.parameters[id];
      return context.ref(id);
    }
    case "Fn::GetAtt": {
      const [id = "", ...attribute] = Array.isArray(argument) ? (argument as string[]) : String(argument).split(".");
      return context.getAtt(id, attribute.join("."));
    }
    case "Fn::Join": {
      const [separator, list] = argument as [string, unknown];
      return (resolve(list) as unknown[]).map(String).join(separator);
    }
    case "Fn::Sub":
      return substitute(argument, context);
    case "Fn::Select": {
      const [index, list] = argument as [unknown, unknown];
      return (resolve(list) as unknown[])[Number(resolve(index))];
    }
    case "Fn::Split": {
      const [separator, text] = argument as [string, unknown];
      return String(resolve(text)).split(separator);
    }
    case "Fn::If": {
      const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
      return resolve(conditionValue(condition, context) ? whenTrue : whenFalse);
    }
    case "Fn::Equals": {
      const [a, b] = argument as [unknown, unknown];
      return JSON.stringify(resolve(a)) === JSON.stringify(resolve(b));
    }
    case "Fn::Not":
      return !resolve((argument as unknown[])[0]);
    case "Fn::And":
      return (argument as unknown[]).every((c) => resolve(c));
    case "Fn::Or":
      return (argument as unknown[]).some((c) => resolve(c));
    case "Condition":
      return conditionValue(argument as string, context);
    case "Fn::FindInMap": {
      const [map = "", top = "", second = ""] = (argument as unknown[]).map((v) => String(resolve(v)));
      const found = context.mappings?.[map]?.[top]?.[second];
      if (found === undefined) throw new Error(`Fn::FindInMap: no ${map}.${top}.${second}`);
      return found;
    }
    case "Fn::Base64":
      return Buffer.from(String(resolve(argument))).toString("base64");
    default:
      throw new UnsupportedIntrinsicError(name);
  }
}

function conditionValue(name: string, context: ResolveContext): boolean {
  if (!context.conditions || !Object.hasOwn(context.conditions, name)) throw new Error(`unknown condition ${name}`);
  return Boolean(resolveInner(context.conditions[name], context));
}

/** `Fn::Sub`: `${Name}`, `${Resource.Attribute}` and explicit variables; `${!Literal}` stays `${Literal}`. */
function substitute(argument: unknown, context: ResolveContext): string {
  const [template, variables] = Array.isArray(argument) ? (argument as [string, Record<string, unknown>]) : [argument as string, {}];
  return template.replace(/\$\{([^}]+)\}/g, (_whole, expression: string) => {
    if (expression.startsWith("!")) return `\${${expression.slice(1)}}`;
    if (Object.hasOwn(variables, expression)) return String(resolveInner(variables[expression], context));
    if (Object.hasOwn(context.parameters, expression)) return String(context.parameters[expression]);
    const dot = expression.indexOf(".");
    if (dot > 0) return String(context.getAtt(expression.slice(0, dot), expression.slice(dot + 1)));
    return String(context.ref(expression));
  });
}

/** The logical ids `value` refers to (`Ref`, `Fn::GetAtt`, `Fn::Sub` variables): the resources it depends on. */
export function referencedIds(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, into);
    return into;
  }
  if (value === null || typeof value !== "object") return into;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === "Ref" && typeof v === "string") into.add(v);
    else if (key === "Fn::GetAtt") into.add(Array.isArray(v) ? String(v[0]) : String(v).split(".", 1).join(""));
    else if (key === "Fn::Sub") {
      const template = Array.isArray(v) ? String(v[0]) : String(v);
      for (const [, id = ""] of template.matchAll(/\$\{([^!}][^}.]*)[^}]*\}/g)) into.add(id);
      if (Array.isArray(v)) referencedIds(v[1], into);
    } else referencedIds(v, into);
  }
  return into;
}
