import { ASL_MAX_DELAY_SECONDS, ASL_MAX_RETRY_VALUE, type AslRetrier } from "./compile-retry.ts";
import type { AslDefinition } from "./render-state-machine.ts";

/**
 * Range checks the ASL JSON Schema does not make (asl-validator checks the shape): integer retry fields
 * within ASL bounds, `BackoffRate >= 1`, `States.ALL` alone and last, every `Next` pointing at a state of its
 * own scope (a `Map` item processor is a scope), and state names unique across the whole machine.
 * Returns one message per problem, each naming the state and field; empty when the machine is sound.
 */
export function checkAslRanges(definition: Pick<AslDefinition, "StartAt" | "States">, seen = new Set<string>()): string[] {
  const problems: string[] = [];
  const names = new Set(Object.keys(definition.States));
  if (!names.has(definition.StartAt)) problems.push(`StartAt "${definition.StartAt}" is not a state`);
  for (const [name, state] of Object.entries(definition.States)) {
    if (seen.has(name)) problems.push(`${name}: the state name is used twice (names are unique across a machine, nested ones included)`);
    seen.add(name);
    const processor = state.ItemProcessor as Pick<AslDefinition, "StartAt" | "States"> | undefined;
    if (processor) problems.push(...checkAslRanges(processor, seen));
    const targets = [
      state.Next,
      state.Default,
      ...((state.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
      ...((state.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
    ];
    for (const target of targets) {
      if (typeof target === "string" && !names.has(target)) problems.push(`${name}: Next "${target}" is not a state`);
    }
    const retry = (state.Retry as AslRetrier[] | undefined) ?? [];
    retry.forEach((r, i) => {
      const at = `${name}.Retry[${i}]`;
      const int = (field: keyof AslRetrier, min: number, max: number) => {
        const v = r[field];
        if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)) {
          problems.push(`${at}.${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
        }
      };
      int("MaxAttempts", 0, ASL_MAX_RETRY_VALUE);
      int("IntervalSeconds", 1, ASL_MAX_RETRY_VALUE);
      int("MaxDelaySeconds", 1, ASL_MAX_DELAY_SECONDS);
      if (r.BackoffRate !== undefined && (r.BackoffRate < 1 || r.BackoffRate > ASL_MAX_RETRY_VALUE)) {
        problems.push(`${at}.BackoffRate must be from 1 to ${ASL_MAX_RETRY_VALUE}, got ${r.BackoffRate}`);
      }
      if (r.ErrorEquals.includes("States.ALL") && (r.ErrorEquals.length > 1 || i !== retry.length - 1)) {
        problems.push(`${at}: States.ALL must appear alone and in the last retrier`);
      }
    });
  }
  return problems;
}
