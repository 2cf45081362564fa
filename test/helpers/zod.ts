/** The JSON Schema zod 4.6.7's `toJSONSchema` gives `z.email()`: its format and zod's own email pattern. */
export const ZOD_EMAIL_PATTERN =
  "^(?:[A-Za-z0-9_'+\\-]+\\.)*[A-Za-z0-9_'+\\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\\-]*\\.)+[A-Za-z]{2,}$";

/** `z.email()` converted. */
export const ZOD_EMAIL_SCHEMA = { type: "string", format: "email", pattern: ZOD_EMAIL_PATTERN } as const;

/** `z.number().int().min(1)` converted: zod bounds integers to the safe range. */
export const ZOD_POSITIVE_INT_SCHEMA = { type: "integer", minimum: 1, maximum: 9007199254740991 } as const;
