import { loadAwsServiceSpec } from "@aws-cdk/aws-service-spec";

/**
 * The CloudFormation resource specification (`@aws-cdk/aws-service-spec`, Apache-2.0, offline): which properties
 * each resource type has, their types, which are required, and which changes replace the resource. The simulator
 * checks every resolved resource against it, as CloudFormation's schema validation does, and uses
 * `causesReplacement` to decide between an update in place and a replacement.
 */

type SpecDb = Awaited<ReturnType<typeof loadAwsServiceSpec>>;
type PropertyType = { type: string; element?: PropertyType; types?: PropertyType[]; reference?: { $ref: string } };
interface PropertySpec {
  readonly type: PropertyType;
  readonly required?: boolean;
  readonly causesReplacement?: "yes" | "maybe" | "no";
}

let loading: Promise<SpecDb> | undefined;

/** The specification, loaded once per process (about 0.8 s). */
export function resourceSpec(): Promise<ResourceSpec> {
  loading ??= loadAwsServiceSpec();
  return loading.then((db) => new ResourceSpec(db));
}

export class ResourceSpec {
  private readonly db: SpecDb;

  constructor(db: SpecDb) {
    this.db = db;
  }

  private resource(type: string): { properties: Record<string, PropertySpec>; attributes: Record<string, unknown> } | undefined {
    const found = this.db.lookup("resource", "cloudFormationType", "equals", type);
    return found.length === 1 ? (found[0] as never) : undefined;
  }

  /** True when the specification knows the type. */
  has(type: string): boolean {
    return this.resource(type) !== undefined;
  }

  /** Problems with a resource's resolved properties (unknown names, missing required ones, wrong shapes); empty when valid. */
  validate(type: string, properties: Record<string, unknown>): string[] {
    const resource = this.resource(type);
    if (!resource) return [`${type} is not a CloudFormation resource type`];
    return this.validateObject(resource.properties, properties, "");
  }

  /** Whether changing `property` of `type` replaces the resource (an unknown answer counts as an update). */
  replacesOnChange(type: string, property: string): boolean {
    return this.resource(type)?.properties[property]?.causesReplacement === "yes";
  }

  /** The attributes `Fn::GetAtt` may read. */
  attributes(type: string): string[] {
    return Object.keys(this.resource(type)?.attributes ?? {});
  }

  private validateObject(spec: Record<string, PropertySpec>, value: Record<string, unknown>, path: string): string[] {
    const problems: string[] = [];
    for (const [name, property] of Object.entries(spec)) {
      if (property.required && value[name] === undefined) problems.push(`${path}${name} is required`);
    }
    for (const [name, v] of Object.entries(value)) {
      const property = spec[name];
      if (!property) problems.push(`${path}${name} is not a property of this type`);
      else problems.push(...this.validateValue(property.type, v, `${path}${name}`));
    }
    return problems;
  }

  private validateValue(type: PropertyType, value: unknown, path: string): string[] {
    switch (type.type) {
      case "string":
      case "date-time":
        return ["string", "number", "boolean"].includes(typeof value) ? [] : [`${path} must be a string`];
      case "integer":
      case "number":
        return typeof value === "number" || (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)))
          ? []
          : [`${path} must be a number`];
      case "boolean":
        return typeof value === "boolean" || value === "true" || value === "false" ? [] : [`${path} must be a boolean`];
      case "json":
        return [];
      case "array":
        return Array.isArray(value)
          ? value.flatMap((v, i) => this.validateValue(type.element!, v, `${path}[${i}]`))
          : [`${path} must be a list`];
      case "map":
        return isObject(value)
          ? Object.entries(value).flatMap(([k, v]) => this.validateValue(type.element!, v, `${path}.${k}`))
          : [`${path} must be a map`];
      case "tag":
        return isObject(value) && "Key" in value && "Value" in value ? [] : [`${path} must be a tag { Key, Value }`];
      case "union":
        return type.types!.some((t) => this.validateValue(t, value, path).length === 0)
          ? []
          : [`${path} matches none of its allowed types`];
      case "ref": {
        if (!isObject(value)) return [`${path} must be an object`];
        const definition = this.db.get("typeDefinition", type.reference!.$ref) as unknown as { properties: Record<string, PropertySpec> };
        return this.validateObject(definition.properties, value, `${path}.`);
      }
      default:
        return [];
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
