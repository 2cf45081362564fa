import { expect } from "vitest";

/** A synthesized template's resources, as the CDK tests read them. */
export type Resources = Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown> }>;

/** The logical id of the single resource of `type` whose id contains `part` (fails the test when not exactly one). */
export function logicalIdIn(resources: Resources, type: string, part: string): string {
  const ids = Object.entries(resources)
    .filter(([id, resource]) => resource.Type === type && id.includes(part))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0] ?? "";
}
