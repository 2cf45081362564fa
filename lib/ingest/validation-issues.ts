import type { ErrorObject } from "ajv";
import type { ValidationIssue } from "../sdk/errors.ts";

/**
 * Ajv errors as stepjobs validation issues. Kept apart from validate.ts (type-only ajv import) so the
 * dashboard bundle can format issues exactly as the API does without pulling in the compiler.
 */

/** The fields of an ajv error that the formatting reads (both runtime-compiled and standalone validators set them). */
export type AjvError = Pick<ErrorObject, "instancePath" | "keyword" | "params" | "message">;

/**
 * One issue per ajv error, located by JSON pointer (RFC 6901, https://www.rfc-editor.org/rfc/rfc6901):
 * `instancePath`, plus the property for `required` (`/missingProperty`) and `additionalProperties`
 * (`/additionalProperty`) so the pointer names the field at fault. Messages are ajv's, with the offending
 * property appended for `additionalProperties` ("must NOT have additional properties: extra").
 */
export function toValidationIssues(jobId: string, errors: readonly AjvError[] | null | undefined): ValidationIssue[] {
  return (errors ?? []).map((error) => toValidationIssue(jobId, error));
}

function toValidationIssue(jobId: string, error: AjvError): ValidationIssue {
  const property = offendingProperty(error);
  const path = property === undefined ? error.instancePath : `${error.instancePath}/${escapePointerSegment(property)}`;
  const message = error.message ?? `must pass "${error.keyword}"`;
  return {
    jobId,
    path,
    message: error.keyword === "additionalProperties" && property !== undefined ? `${message}: ${property}` : message,
  };
}

/** The property an error is about, when it names one the instance path does not reach. */
function offendingProperty(error: AjvError): string | undefined {
  const params = error.params as { missingProperty?: unknown; additionalProperty?: unknown };
  const property =
    error.keyword === "required"
      ? params.missingProperty
      : error.keyword === "additionalProperties"
        ? params.additionalProperty
        : undefined;
  return typeof property === "string" ? property : undefined;
}

/** RFC 6901 escaping of one reference token: `~` becomes `~0`, `/` becomes `~1`. */
export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}
